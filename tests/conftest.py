"""Shared fixtures: stores on real DuckDB, in memory and on disk, and a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nebula_kernel as nk
from tests._helpers import ManualClock, Task
from tests._server import jupyter_server  # noqa: F401 - a session fixture: a real server

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["memory", "file"])
def store_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return ":memory:" if request.param == "memory" else str(tmp_path / "nebula.duckdb")


@pytest.fixture
def store(store_path: str, clock: ManualClock) -> Iterator[nk.ResourceStore]:
    with nk.open_store(store_path, clock=clock) as opened:
        opened.define_type("Task", Task)
        yield opened
