"""The local encrypted secrets store: round trips, keys, permissions, no value ever leaked."""

from __future__ import annotations

import base64
import json
import os
import pickle
import stat
from pathlib import Path

import pytest

from nebula_kernel.drivers.secrets_local import KEY_ENV, LocalSecretsStore, SecretKey, load_key
from nebula_kernel.errors import (
    InvalidIdentifier,
    SecretDecryptionFailed,
    SecretError,
    SecretKeyError,
)
from nebula_kernel.ports import SecretsStore
from nebula_kernel.workflows._secrets import SecretValue

STAR = "acme.analytics.sales"
VALUE = "s3cr3t-Ünïcode-tøken"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def env_key() -> dict[str, str]:
    return {KEY_ENV: base64.b64encode(os.urandom(32)).decode()}


def everything_about(error: BaseException) -> str:
    """All the text an error can show: message, details, repr, and its causes."""
    parts = [str(error), repr(error), json.dumps(getattr(error, "to_dict", dict)())]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            parts.append(everything_about(linked))
    return "\n".join(parts)


def test_round_trip_scoped_by_star(tmp_path: Path) -> None:
    store: SecretsStore = LocalSecretsStore(tmp_path / "secrets.json", environ=env_key())
    store.put(STAR, SecretValue("api_token", VALUE))
    store.put("acme.analytics.other", SecretValue("api_token", "another"))
    got = store.get(STAR, "api_token")
    assert got is not None and got.reveal() == VALUE
    assert store.get("acme.analytics.other", "api_token") == SecretValue("api_token", "another")
    assert store.get(STAR, "missing") is None
    assert store.names(STAR) == ["api_token"]
    assert store.delete(STAR, "api_token") and not store.delete(STAR, "api_token")
    assert store.get(STAR, "api_token") is None
    assert store.names("acme.analytics.other") == ["api_token"]


def test_file_holds_no_plaintext_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    store = LocalSecretsStore(path, environ=env_key())
    store.put(STAR, SecretValue("a", VALUE))
    store.put(STAR, SecretValue("b", VALUE))
    raw = path.read_bytes()
    assert VALUE.encode() not in raw and base64.b64encode(VALUE.encode()) not in raw
    records = json.loads(raw)["secrets"][STAR]
    assert records["a"]["nonce"] != records["b"]["nonce"]  # a fresh nonce per record
    assert records["a"]["ciphertext"] != records["b"]["ciphertext"]
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_survives_reopening_with_the_same_key(tmp_path: Path) -> None:
    environ = env_key()
    LocalSecretsStore(tmp_path / "s.json", environ=environ).put(STAR, SecretValue("t", VALUE))
    again = LocalSecretsStore(tmp_path / "s.json", environ=environ).get(STAR, "t")
    assert again is not None and again.reveal() == VALUE


def test_wrong_key_is_a_typed_error_that_leaks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    LocalSecretsStore(path, environ=env_key()).put(STAR, SecretValue("t", VALUE))
    other = LocalSecretsStore(path, environ=env_key())
    with pytest.raises(SecretDecryptionFailed) as raised:
        other.get(STAR, "t")
    text = everything_about(raised.value)
    assert "'t'" in text and "sealed with key" in text and KEY_ENV in text
    assert VALUE not in text


def test_tampered_or_moved_records_do_not_decrypt(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    store = LocalSecretsStore(path, environ=env_key())
    store.put(STAR, SecretValue("t", VALUE))
    document = json.loads(path.read_text())
    # Copy the record to another name: the associated data no longer matches.
    document["secrets"][STAR]["u"] = document["secrets"][STAR]["t"]
    path.write_text(json.dumps(document))
    with pytest.raises(SecretDecryptionFailed, match="altered or damaged") as raised:
        store.get(STAR, "u")
    assert VALUE not in everything_about(raised.value)
    # Flip a ciphertext bit.
    sealed = bytearray(base64.b64decode(document["secrets"][STAR]["t"]["ciphertext"]))
    sealed[0] ^= 1
    document["secrets"][STAR]["t"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(SecretDecryptionFailed):
        store.get(STAR, "t")


def test_a_damaged_file_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    with pytest.raises(SecretError, match="not a Nebula secrets file"):
        LocalSecretsStore(path, environ=env_key()).names(STAR)


def test_names_are_validated(tmp_path: Path) -> None:
    store = LocalSecretsStore(tmp_path / "s.json", environ=env_key())
    with pytest.raises(InvalidIdentifier):
        store.get("not-a-star", "t")
    with pytest.raises(InvalidIdentifier):
        store.get(STAR, "../etc")


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode()])
def test_bad_environment_keys_are_refused_without_echoing_them(bad: str) -> None:
    with pytest.raises(SecretKeyError, match=KEY_ENV) as raised:
        load_key(Path("/nonexistent/key"), environ={KEY_ENV: bad})
    assert bad not in everything_about(raised.value)


def test_url_safe_keys_are_accepted() -> None:
    material = bytes([0xFB, 0xFF] * 16)  # encodes with '+' and '/' in the standard alphabet
    urlsafe = base64.urlsafe_b64encode(material).decode()
    assert "-" in urlsafe or "_" in urlsafe
    key = load_key(Path("/nonexistent/key"), environ={KEY_ENV: urlsafe})
    assert key.to_base64() == base64.b64encode(material).decode()


@posix_only
def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "secrets.key"
    first = load_key(key_file, environ={})
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key(key_file, environ={}).key_id == first.key_id
    store = LocalSecretsStore(tmp_path / "s.json", key_file=key_file, environ={})
    store.put(STAR, SecretValue("t", VALUE))
    default = LocalSecretsStore(tmp_path / "d.json", environ={})
    assert (tmp_path / "d.json.key").exists()
    assert default.get(STAR, "t") is None


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "secrets.key"
    load_key(key_file, environ={})
    key_file.chmod(mode)
    with pytest.raises(SecretKeyError, match=f"chmod 600 {key_file}") as raised:
        load_key(key_file, environ={})
    assert key_file.read_text().strip() not in everything_about(raised.value)


def test_reprs_never_show_values_or_keys(tmp_path: Path) -> None:
    key = SecretKey.generate()
    store = LocalSecretsStore(tmp_path / "s.json", key=key)
    secret = SecretValue("t", VALUE)
    store.put(STAR, secret)
    shown = " ".join(
        [repr(store), repr(key), repr(secret), str(secret), f"{secret}", f"{secret!r:>80}"]
    )
    shown += repr(store.get(STAR, "t")) + repr([secret]) + repr({"k": secret})
    assert VALUE not in shown and key.to_base64() not in shown
    assert "«redacted:t»" in str(secret)


def test_secret_values_refuse_pickling_and_hashing() -> None:
    secret = SecretValue("t", VALUE)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(SecretKey.generate())
    with pytest.raises(TypeError):
        hash(secret)
    with pytest.raises(AttributeError):
        secret.name = "other"
    assert secret == SecretValue("t", VALUE) and secret != SecretValue("t", VALUE + "x")
