"""``connect()``: the Jupyter server's store when there is one, an embedded store otherwise."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypeAlias

from nebula_kernel.client._remote import RemoteResourceStore
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.resources import ResourceStore

__all__ = ["Resources", "connect", "current", "find_server"]

Resources: TypeAlias = ResourceStore | RemoteResourceStore
"""What :func:`connect` returns: both have the same API."""


def find_server() -> tuple[str, str] | None:
    """The URL and token of the Jupyter server that started this kernel, if it has Nebula.

    Jupyter starts kernels with ``JPY_PARENT_PID`` set to the server's process id and records
    every running server in ``jpserver-<pid>.json`` in its runtime directory.
    """
    pid = os.environ.get("JPY_PARENT_PID", "")
    if not pid.isdigit():
        return None
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return None
    info_file = Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json"
    try:
        info = json.loads(info_file.read_text())
    except (OSError, ValueError):
        return None
    url, token = info.get("url"), info.get("token", "")
    if not isinstance(url, str) or not isinstance(token, str):
        return None
    return url, token


def connect(
    url: str | None = None, token: str | None = None, *, path: str | Path | None = None
) -> Resources:
    """Nebula's store for this notebook, found without configuration.

    In order: an explicit ``url`` (with ``token``); ``NEBULA_URL``/``NEBULA_TOKEN`` from the
    environment; the Jupyter server that started this kernel, when it runs Nebula; otherwise an
    embedded store on ``path`` (default ``NEBULA_PATH`` or ``.nebula/nebula.duckdb``), which is
    what ``jupyter nbconvert --execute`` gets with no server.
    """
    global _current
    _current = _open(url, token, path)
    return _current


def current() -> Resources:
    """The connection the last :func:`connect` opened (what ``resource.widget()`` follows)."""
    if _current is None:
        raise InvalidRequest(
            "No Nebula connection yet: call nebula_kernel.connect() first, or pass the store "
            "explicitly (source=...)."
        )
    return _current


_current: Resources | None = None


def _open(url: str | None, token: str | None, path: str | Path | None) -> Resources:
    url = url or os.environ.get("NEBULA_URL")
    token = token if token is not None else os.environ.get("NEBULA_TOKEN", "")
    if url:
        return RemoteResourceStore(url, token)
    found = find_server() if path is None else None
    if found is not None:
        return RemoteResourceStore(*found)
    from nebula_kernel._embedded import open_store

    return open_store(path or os.environ.get("NEBULA_PATH") or Path(".nebula") / "nebula.duckdb")
