"""Test helpers shared across suites (fixtures live in conftest.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

__all__ = ["ManualClock", "Task"]


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
