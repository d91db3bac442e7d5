"""Shared fixtures: stores on real DuckDB, in memory and on disk, and a controllable clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

import nebula_kernel as nk


class ManualClock:
    """A clock that moves only when told to (thread-safe)."""

    def __init__(self, start: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class Task(BaseModel):
    title: str
    state: str = "Ready"
    points: int | None = None


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
