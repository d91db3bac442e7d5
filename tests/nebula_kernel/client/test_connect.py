"""connect(): finds the Jupyter server that started the kernel, else runs embedded."""

from __future__ import annotations

from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.client import RemoteResourceStore
from tests._server import RunningServer


def test_a_kernel_of_a_nebula_server_connects_to_it(
    jupyter_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What Jupyter gives every kernel it starts: its own pid, and its runtime directory.
    monkeypatch.setenv("JPY_PARENT_PID", str(jupyter_server.pid))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(jupyter_server.runtime_dir))
    monkeypatch.delenv("NEBULA_URL", raising=False)
    with nk.connect() as store:
        assert isinstance(store, RemoteResourceStore)
        assert store.stars()


def test_without_a_server_it_runs_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JPY_PARENT_PID", "1")  # a parent that is no Jupyter server
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("NEBULA_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    with nk.connect() as store:
        assert isinstance(store, nk.ResourceStore)
    assert (tmp_path / ".nebula" / "nebula.duckdb").exists()


def test_an_unreachable_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEBULA_URL", "http://127.0.0.1:9/")
    with pytest.raises(nk.StoreError, match="Could not reach"):
        nk.connect()
