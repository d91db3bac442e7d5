"""Encrypted local secrets: a :class:`~nebula_kernel.ports.SecretsStore` in one JSON file.

Each value is sealed with AES-256-GCM under a fresh 96-bit nonce; the star and the name are
bound in as associated data, so a record copied to another name or star does not decrypt. The
file holds only ciphertexts and is replaced atomically (write, fsync, rename), mode 0600.

The key comes from ``NEBULA_SECRET_KEY`` (32 bytes, base64) or else from a key file, created
with mode 0600 if it does not exist. A key file that other users could read is refused. Each
record names the key that sealed it by a short fingerprint (``key_id``), so a wrong key is
reported as such instead of as corruption.

One process at a time should write a given file (as with the DuckDB store file); writes from
threads of that process are serialized.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nebula_kernel.auth import StarId
from nebula_kernel.errors import SecretDecryptionFailed, SecretError, SecretKeyError
from nebula_kernel.workflows._secrets import SecretValue, check_secret_name

__all__ = ["KEY_ENV", "LocalSecretsStore", "SecretKey", "load_key"]

KEY_ENV = "NEBULA_SECRET_KEY"
_FORMAT = 1
_NONCE_BYTES = 12
_GENERATE_HINT = (
    'generate one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32))'
    '.decode())"'
)


class SecretKey:
    """A 256-bit key and where it came from; its repr shows only a fingerprint."""

    __slots__ = ("_material", "key_id", "source")

    def __init__(self, material: bytes, source: str) -> None:
        if len(material) != 32:
            raise SecretKeyError(
                f"The secret key from {source} is {len(material)} bytes long; it must be 32 "
                f"bytes (base64-encoded): {_GENERATE_HINT}",
                source=source,
            )
        self._material = material
        self.source = source
        self.key_id = hashlib.sha256(b"nebula-key-id\x00" + material).hexdigest()[:16]

    @classmethod
    def generate(cls, source: str = "a generated key") -> SecretKey:
        return cls(AESGCM.generate_key(bit_length=256), source)

    @classmethod
    def from_base64(cls, text: str, source: str) -> SecretKey:
        try:
            # Accept the URL-safe alphabet too (Fernet-style keys use it).
            normal = text.strip().replace("-", "+").replace("_", "/")
            material = base64.b64decode(normal, validate=True)
        except (binascii.Error, ValueError):
            raise SecretKeyError(
                f"The secret key from {source} is not valid base64: {_GENERATE_HINT}",
                source=source,
            ) from None
        return cls(material, source)

    def to_base64(self) -> str:
        return base64.b64encode(self._material).decode("ascii")

    def cipher(self) -> AESGCM:
        return AESGCM(self._material)

    def __repr__(self) -> str:
        return f"SecretKey(key_id={self.key_id!r}, source={self.source!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("A SecretKey cannot be pickled: that would write the key out.")


def load_key(key_file: Path, *, environ: Mapping[str, str] | None = None) -> SecretKey:
    """The key from ``NEBULA_SECRET_KEY`` if set, else from ``key_file`` (created if absent)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return SecretKey.from_base64(env[KEY_ENV], KEY_ENV)
    try:
        return _create_key_file(key_file)
    except FileExistsError:
        pass
    _check_private(key_file)
    return SecretKey.from_base64(key_file.read_text(encoding="ascii"), str(key_file))


def _create_key_file(path: Path) -> SecretKey:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: two processes starting at once must not each write a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    key = SecretKey.generate(str(path))
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key.to_base64() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def _check_private(path: Path) -> None:
    if os.name != "posix":
        return
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise SecretKeyError(
            f"The key file {path} can be read or written by other users (mode {mode:04o}). "
            f"Restrict it with `chmod 600 {path}`, or set {KEY_ENV} instead.",
            path=str(path),
            mode=f"{mode:04o}",
        )
    if info.st_uid != os.getuid():
        raise SecretKeyError(
            f"The key file {path} belongs to another user (uid {info.st_uid}). Use a key file "
            f"you own (`chown`), or set {KEY_ENV} instead.",
            path=str(path),
        )


class LocalSecretsStore:
    """Secrets per star in ``path`` (JSON), sealed with ``key`` (default: :func:`load_key` on
    ``<path>.key``)."""

    def __init__(
        self,
        path: str | Path,
        *,
        key: SecretKey | None = None,
        key_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        default_key_file = self.path.with_name(self.path.name + ".key")
        self._key = key or load_key(Path(key_file or default_key_file), environ=environ)
        self._cipher = self._key.cipher()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LocalSecretsStore({str(self.path)!r}, key_id={self._key.key_id!r})"

    def get(self, star: str, name: str) -> SecretValue | None:
        star, name = str(StarId.parse(star)), check_secret_name(name)
        with self._lock:
            record = self._read().get(star, {}).get(name)
        if record is None:
            return None
        return SecretValue(name, self._open(star, name, record))

    def put(self, star: str, secret: SecretValue) -> None:
        star = str(StarId.parse(star))
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._cipher.encrypt(
            nonce, secret.reveal().encode("utf-8"), _associated(star, secret.name)
        )
        record = {
            "key_id": self._key.key_id,
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(sealed).decode("ascii"),
        }
        with self._lock:
            secrets = self._read()
            secrets.setdefault(star, {})[secret.name] = record
            self._write(secrets)

    def delete(self, star: str, name: str) -> bool:
        star, name = str(StarId.parse(star)), check_secret_name(name)
        with self._lock:
            secrets = self._read()
            if secrets.get(star, {}).pop(name, None) is None:
                return False
            if not secrets[star]:
                del secrets[star]
            self._write(secrets)
            return True

    def names(self, star: str) -> list[str]:
        star = str(StarId.parse(star))
        with self._lock:
            return sorted(self._read().get(star, {}))

    def _open(self, star: str, name: str, record: Mapping[str, Any]) -> str:
        where = f"Secret {name!r} in star {star!r}"
        if record.get("key_id") != self._key.key_id:
            raise SecretDecryptionFailed(
                f"{where} was sealed with key {record.get('key_id')!r}, but the key in use "
                f"(from {self._key.source}) is {self._key.key_id!r}. Provide the key that sealed "
                "it, or store the secret again.",
                star=star,
                name=name,
            )
        try:
            nonce = base64.b64decode(record["nonce"], validate=True)
            sealed = base64.b64decode(record["ciphertext"], validate=True)
            plain = self._cipher.decrypt(nonce, sealed, _associated(star, name))
            return plain.decode("utf-8")
        except (InvalidTag, KeyError, TypeError, ValueError):
            # `from None`: nothing about the record's bytes belongs in a traceback.
            raise SecretDecryptionFailed(
                f"{where} could not be decrypted: its record in {self.path} was altered or "
                "damaged. Store the secret again.",
                star=star,
                name=name,
            ) from None

    def _read(self) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            document = json.loads(text)
            if document.get("format") != _FORMAT or not isinstance(document["secrets"], dict):
                raise ValueError
        except (ValueError, KeyError, AttributeError):
            raise SecretError(
                f"The secrets file {self.path} is not a Nebula secrets file (format {_FORMAT}). "
                "Restore it from a backup, or move it away to start afresh.",
                path=str(self.path),
            ) from None
        secrets: dict[str, dict[str, dict[str, Any]]] = document["secrets"]
        return secrets

    def _write(self, secrets: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = json.dumps({"format": _FORMAT, "secrets": secrets}, indent=1, sort_keys=True)
        # mkstemp creates the file 0600 in the same directory, so the rename is atomic.
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            Path(temp).replace(self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        if os.name == "posix":  # make the rename itself durable
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def _associated(star: str, name: str) -> bytes:
    return f"nebula-secret-v1\x00{star}\x00{name}".encode()
