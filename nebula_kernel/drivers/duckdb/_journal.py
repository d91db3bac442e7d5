"""The DuckDB implementation of :class:`nebula_kernel.ports.ExecutionRepo`.

It may share the store's database (pass the store's connection; one file then holds resources
and executions, and the file is opened once) or open a file of its own. Writes come from the
journal writer thread through one cursor, each batch in one DuckDB transaction; reads use one
cursor per thread. Entries of a batch go in as one Arrow table: planning a statement costs
about as much as inserting a thousand rows through Arrow.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel._time import from_epoch_us
from nebula_kernel.drivers.duckdb._journal_schema import JOURNAL_SCHEMA_STATEMENTS
from nebula_kernel.drivers.duckdb._repo import open_duckdb
from nebula_kernel.errors import StoreClosed
from nebula_kernel.ports import (
    AcquireLease,
    AppendEntry,
    CreateExecution,
    ExecutionRow,
    JournalOp,
    JournalRow,
    ReleaseLease,
    Transition,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDbExecutionRepo"]


_SELECT_EXECUTION = (
    "SELECT id, workflow_id, status, epoch_us(created_at), epoch_us(updated_at), lease_holder, "
    "epoch_us(lease_until), star FROM wf_executions "
)
_INSERT_EXECUTION = (
    "INSERT INTO wf_executions (id, workflow_id, status, created_at, updated_at, lease_holder, "
    "lease_until, star) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ENTRY = "INSERT INTO wf_journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_TRANSITION = (
    "UPDATE wf_executions SET status = ?, updated_at = ?, lease_holder = NULL, lease_until = NULL "
    "WHERE id = ? AND status = ? RETURNING id"
)
_ACQUIRE = (
    "UPDATE wf_executions SET lease_holder = ?, lease_until = ? WHERE id = ? AND "
    "(lease_holder IS NULL OR lease_holder = ? OR lease_until < ?) RETURNING id"
)
_RELEASE = (
    "UPDATE wf_executions SET lease_holder = NULL, lease_until = NULL "
    "WHERE id = ? AND lease_holder = ? RETURNING id"
)
_ENTRY_COLUMNS = (
    "SELECT j.seq, j.execution_id, j.kind, j.node_id, j.attempt, j.format_version, "
    "epoch_us(j.written_at), j.body FROM wf_journal j "
)
_READ_JOURNAL = _ENTRY_COLUMNS + "WHERE j.execution_id = ? AND j.seq > ? ORDER BY j.seq"
_READ_STAR_JOURNAL = (
    _ENTRY_COLUMNS + "JOIN wf_executions e ON e.id = j.execution_id WHERE e.star = ? AND j.seq > ? "
)


class _Counter:
    """Journal sequence numbers, handed out in increasing order."""

    def __init__(self, start: int) -> None:
        self._next = start
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value

    def above(self, seq: int) -> None:
        """Never hand out ``seq`` or less again (entries written with their own numbers)."""
        with self._lock:
            self._next = max(self._next, seq + 1)


# Every repository on one database file in this process draws from one counter, so entries
# written through different connections (a runtime, and another cancelling one of its runs)
# never share a number.
_COUNTERS: dict[str, _Counter] = {}
_COUNTERS_LOCK = threading.Lock()


def _counter(cur: duckdb.DuckDBPyConnection) -> _Counter:
    found = cur.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    last = cur.execute("SELECT coalesce(max(seq), 0) FROM wf_journal").fetchone()
    stored = int(last[0]) if last else 0
    if not found or not found[0]:  # in memory: private to this repository's connection
        return _Counter(stored + 1)
    key = str(Path(found[0]).resolve())
    with _COUNTERS_LOCK:
        counter = _COUNTERS.setdefault(key, _Counter(stored + 1))
    # The file may have been written since (by another process, before it was ours).
    counter.above(stored)
    return counter


def _ts(micros: int | None) -> datetime | None:
    return None if micros is None else from_epoch_us(micros)


def _execution(row: tuple[Any, ...]) -> ExecutionRow:
    created, updated = _ts(row[3]), _ts(row[4])
    assert created is not None and updated is not None
    return ExecutionRow(row[0], row[1], row[2], created, updated, row[5], _ts(row[6]), row[7])


def _journal_row(r: tuple[Any, ...]) -> JournalRow:
    return JournalRow(r[0], r[1], r[2], r[3], r[4], r[5], from_epoch_us(r[6]), r[7])


def _entry_values(e: JournalRow) -> tuple[Any, ...]:
    return (e.seq, e.execution_id, e.kind, e.node_id, e.attempt, e.format_version, e.at, e.body)


def _arrow_entries(entries: Sequence[JournalRow]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "seq": pa.array([e.seq for e in entries], pa.int64()),
            "execution_id": pa.array([e.execution_id for e in entries], pa.string()),
            "kind": pa.array([e.kind for e in entries], pa.string()),
            "node_id": pa.array([e.node_id for e in entries], pa.string()),
            "attempt": pa.array([e.attempt for e in entries], pa.int32()),
            "format_version": pa.array([e.format_version for e in entries], pa.int32()),
            "written_at": pa.array([e.at for e in entries], pa.timestamp("us", tz="UTC")),
            "body": pa.array([e.body for e in entries], pa.string()),
        }
    )


class DuckDbExecutionRepo:
    """Executions and their journal in a DuckDB database.

    Build it with :meth:`open` (a file of its own) or :meth:`on` (a database another component,
    such as the resources store, already has open: one process must open a file only once).
    One runtime writes to a database at a time: its writer numbers the entries.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, owned: bool) -> None:
        # Imported now rather than on the first batch: the import holds the GIL for ~0.1 s,
        # which would stall the event loop in the middle of the first run.
        import pyarrow  # noqa: F401

        self._con = connection
        self._owned = owned
        self._closed = False
        self._local = threading.local()
        self._writer = connection.cursor()
        self._writer.execute("BEGIN")
        try:
            for statement in JOURNAL_SCHEMA_STATEMENTS:
                self._writer.execute(statement)
            self._writer.execute("COMMIT")
        except BaseException:
            self._writer.execute("ROLLBACK")
            raise
        self._seqs = _counter(self._writer)

    @classmethod
    def open(cls, path: str | Path = ":memory:") -> DuckDbExecutionRepo:
        return cls(open_duckdb(path), owned=True)

    @classmethod
    def on(cls, connection: duckdb.DuckDBPyConnection) -> DuckDbExecutionRepo:
        """Use a database that is already open (its owner closes it)."""
        return cls(connection.cursor(), owned=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        if self._owned:
            self._con.close()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise StoreClosed("The workflow journal is closed; open the runtime again.")
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            self._local.cursor = cursor
        return cursor

    # -- writes (the journal writer thread only) ------------------------------------------------

    def allocate_seq(self) -> int:
        return self._seqs.take()

    def write(self, ops: Sequence[JournalOp]) -> list[bool]:
        if self._closed:
            raise StoreClosed("The workflow journal is closed; open the runtime again.")
        cur = self._writer
        applied: list[bool] = []
        entries: list[JournalRow] = []
        cur.execute("BEGIN")
        try:
            for op in ops:
                applied.append(self._apply(cur, op, entries))
            if entries:
                self._seqs.above(max(e.seq for e in entries))
            if len(entries) == 1:
                cur.execute(_INSERT_ENTRY, _entry_values(entries[0]))
            elif entries:
                cur.from_arrow(_arrow_entries(entries)).insert_into("wf_journal")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return applied

    @staticmethod
    def _apply(cur: duckdb.DuckDBPyConnection, op: JournalOp, entries: list[JournalRow]) -> bool:
        if isinstance(op, AppendEntry):
            entries.append(op.entry)
            return True
        if isinstance(op, CreateExecution):
            r = op.row
            cur.execute(
                _INSERT_EXECUTION,
                [
                    r.id,
                    r.workflow_id,
                    r.status,
                    r.created_at,
                    r.updated_at,
                    r.lease_holder,
                    r.lease_until,
                    r.star,
                ],
            )
            entries.append(op.entry)
            return True
        if isinstance(op, Transition):
            done = bool(
                cur.execute(_TRANSITION, [op.to, op.at, op.execution_id, op.expected]).fetchall()
            )
            if done:
                entries.append(op.entry)
            return done
        if isinstance(op, AcquireLease):
            return bool(
                cur.execute(
                    _ACQUIRE, [op.holder, op.until, op.execution_id, op.holder, op.now]
                ).fetchall()
            )
        assert isinstance(op, ReleaseLease)
        return bool(cur.execute(_RELEASE, [op.execution_id, op.holder]).fetchall())

    # -- reads (any thread) ---------------------------------------------------------------------

    def get_execution(self, execution_id: str) -> ExecutionRow | None:
        row = self._reader().execute(_SELECT_EXECUTION + "WHERE id = ?", [execution_id]).fetchone()
        return None if row is None else _execution(row)

    def list_executions(
        self,
        status: str | None,
        limit: int,
        *,
        star: str | None = None,
        workflow_id: str | None = None,
    ) -> list[ExecutionRow]:
        filters = [("status = ?", status), ("star = ?", star), ("workflow_id = ?", workflow_id)]
        used = [(clause, value) for clause, value in filters if value is not None]
        where = ("WHERE " + " AND ".join(c for c, _ in used) + " ") if used else ""
        rows = self._reader().execute(
            _SELECT_EXECUTION + where + "ORDER BY created_at DESC, id LIMIT ?",
            [*(v for _, v in used), limit],
        )
        return [_execution(r) for r in rows.fetchall()]

    def read_journal(self, execution_id: str, after_seq: int = 0) -> list[JournalRow]:
        rows = self._reader().execute(_READ_JOURNAL, [execution_id, after_seq]).fetchall()
        return [_journal_row(r) for r in rows]

    def read_star_journal(
        self, star: str, after_seq: int, limit: int, execution_id: str | None = None
    ) -> list[JournalRow]:
        if execution_id is None:
            sql, params = _READ_STAR_JOURNAL, [star, after_seq]
        else:
            sql, params = (
                _READ_STAR_JOURNAL + "AND j.execution_id = ? ",
                [star, after_seq, execution_id],
            )
        rows = self._reader().execute(sql + "ORDER BY j.seq LIMIT ?", [*params, limit]).fetchall()
        return [_journal_row(r) for r in rows]

    def last_seq(self) -> int:
        found = self._reader().execute("SELECT coalesce(max(seq), 0) FROM wf_journal").fetchone()
        return int(found[0]) if found else 0

    def last_numbered_id(self, prefix: str) -> int | None:
        found = (
            self._reader()
            .execute(
                "SELECT max(TRY_CAST(substr(id, ?) AS BIGINT)) FROM wf_executions "
                "WHERE starts_with(id, ?)",
                [len(prefix) + 1, prefix],
            )
            .fetchone()
        )
        return None if found is None or found[0] is None else int(found[0])

    def find_expired_leases(self, status: str, now: datetime, limit: int) -> list[str]:
        rows = self._reader().execute(
            "SELECT id FROM wf_executions WHERE status = ? AND "
            "(lease_until IS NULL OR lease_until < ?) ORDER BY updated_at LIMIT ?",
            [status, now, limit],
        )
        return [str(r[0]) for r in rows.fetchall()]
