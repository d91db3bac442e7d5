"""Cron trigger watermarks in DuckDB: one row per trigger, advanced by compare-and-set."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from nebula_kernel._time import from_epoch_us

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDbTriggerState"]

_CREATE = (
    "CREATE TABLE IF NOT EXISTS wf_trigger_state ("
    "trigger_id VARCHAR PRIMARY KEY, watermark TIMESTAMPTZ NOT NULL)"
)


class DuckDbTriggerState:
    """A :class:`~nebula_kernel.workflows.TriggerStateRepo` on a DuckDB connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._cur = connection.cursor()
        self._lock = threading.Lock()  # one cursor, used from any thread, one call at a time
        self._cur.execute(_CREATE)

    def load(self, trigger_id: str) -> datetime | None:
        with self._lock:
            row = self._cur.execute(
                "SELECT epoch_us(watermark) FROM wf_trigger_state WHERE trigger_id = ?",
                [trigger_id],
            ).fetchone()
        return None if row is None else from_epoch_us(row[0])

    def advance(self, trigger_id: str, expected: datetime | None, watermark: datetime) -> bool:
        with self._lock:
            if expected is None:
                changed = self._cur.execute(
                    "INSERT INTO wf_trigger_state VALUES (?, ?) ON CONFLICT DO NOTHING "
                    "RETURNING trigger_id",
                    [trigger_id, watermark],
                ).fetchall()
            else:
                changed = self._cur.execute(
                    "UPDATE wf_trigger_state SET watermark = ? WHERE trigger_id = ? AND "
                    "watermark = ? RETURNING trigger_id",
                    [watermark, trigger_id, expected],
                ).fetchall()
        return bool(changed)
