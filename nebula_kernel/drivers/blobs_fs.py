"""Blobs on the filesystem: one file per blob, named by the sha256 of its content.

Writes go to a temporary file first and are renamed into place, so a reader never sees half a
blob and a crash leaves at most a stray temporary file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from nebula_kernel.errors import InvalidIdentifier

__all__ = ["FsBlobStore"]

_KEY = re.compile(r"[0-9a-f]{64}")


class FsBlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        # Keys become file names: anything but a sha256 digest could walk out of the root.
        if not _KEY.fullmatch(key):
            raise InvalidIdentifier(
                f"{key!r} is not a blob key; keys are sha256 hex digests (64 lowercase hex).",
                key=key,
            )
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
