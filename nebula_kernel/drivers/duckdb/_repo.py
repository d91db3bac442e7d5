"""The DuckDB implementation of :class:`nebula_kernel.ports.ResourceRepo`: one database file.

One process opens the file read-write; DuckDB's own file lock keeps every other process out,
and :func:`open_duckdb` turns that into :class:`StoreLocked` naming the holder. Reads use one
cursor per thread (a DuckDB connection is not thread-safe); writes come from the store's single
committer thread through its own cursor, each :class:`WriteBatch` in one DuckDB transaction.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS, SCHEMA_VERSION
from nebula_kernel.errors import StoreClosed, StoreError, StoreLocked
from nebula_kernel.ports import ChangeRow, HeadRow, SnapshotRow, StarRow, TypeRow, WriteBatch

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDbResourceRepo", "open_duckdb"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")

Key = tuple[str, str, str]


def _ts(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _rkey(star: str, type_name: str, id_: str) -> str:
    # Ids, type names and star ids never contain '/', so the join is unambiguous.
    return f"{star}/{type_name}/{id_}"


def open_duckdb(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a DuckDB database, naming the holder if another has it locked."""
    import duckdb

    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as exc:
        match = _LOCK_HOLDER.search(str(exc))
        if match is None:
            raise StoreError(
                f"Could not open the Nebula store at {target}: {type(exc).__name__}. Check that "
                "the path is a writable DuckDB file.",
                path=target,
            ) from exc
        raise StoreLocked(
            f"The Nebula store {target} is in use by another process (PID {match['pid']}, "
            f"{match['program']}). Stop that process, or open a different file.",
            path=target,
            pid=int(match["pid"]),
        ) from None
    con.execute("SET TimeZone = 'UTC'")
    return con


# Every read selects the snapshot columns in this order (see _snapshot); timestamps travel as
# epoch microseconds so that no time zone library is needed to read them.
_SELECT_HEAD = (
    "SELECT deleted, sid, eid, star, type, id, snapshot_number, epoch_us(valid_from), "
    "epoch_us(valid_to), value::VARCHAR, previous_values::VARCHAR, etag, changed_by, "
    "schema_version FROM heads "
)
_AS_OF_SQL = (
    "SELECT sid, eid, star, type, id, snapshot_number, epoch_us(valid_from), "
    "epoch_us(valid_to), value::VARCHAR, previous_values::VARCHAR, etag, changed_by, "
    "schema_version FROM snapshots WHERE eid = (SELECT eid FROM heads WHERE rkey = ?) "
    "AND valid_from <= ? AND valid_to > ?"
)
_HISTORY_SQL = (
    "SELECT sid, eid, star, type, id, snapshot_number, epoch_us(valid_from), "
    "epoch_us(valid_to), value::VARCHAR, previous_values::VARCHAR, etag, changed_by, "
    "schema_version FROM snapshots WHERE eid = (SELECT eid FROM heads WHERE rkey = ?) "
    "ORDER BY snapshot_number"
)


def _snapshot(row: tuple[Any, ...]) -> SnapshotRow:
    return SnapshotRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        _ts(row[6]),
        _ts(row[7]),
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
    )


def _head(row: tuple[Any, ...]) -> HeadRow:
    return HeadRow(_snapshot(row[1:]), bool(row[0]))


def _snapshot_table(pa: Any, rows: Sequence[SnapshotRow]) -> Any:
    ts = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "sid": pa.array([r.sid for r in rows], pa.int64()),
            "eid": pa.array([r.eid for r in rows], pa.int64()),
            "star": pa.array([r.star for r in rows], pa.string()),
            "type": pa.array([r.type for r in rows], pa.string()),
            "id": pa.array([r.id for r in rows], pa.string()),
            "snapshot_number": pa.array([r.snapshot_number for r in rows], pa.int32()),
            "valid_from": pa.array([r.valid_from for r in rows], ts),
            "valid_to": pa.array([r.valid_to for r in rows], ts),
            "value": pa.array([r.value for r in rows], pa.string()),
            "previous_values": pa.array([r.previous_values for r in rows], pa.string()),
            "etag": pa.array([r.etag for r in rows], pa.string()),
            "changed_by": pa.array([r.changed_by for r in rows], pa.string()),
            "schema_version": pa.array([r.schema_version for r in rows], pa.int32()),
        }
    )


class DuckDbResourceRepo:
    """Stars, types, snapshots, heads and the change log in one DuckDB database."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._con = open_duckdb(path)
        self._local = threading.local()
        self._closed = False
        self._writer = self._con.cursor()
        # The writer cursor is the committer's; the rare writes from other threads (a new star, a
        # type definition) take this lock so that they never interleave with a batch.
        self._write_lock = threading.RLock()
        self._migrate()

    # -- lifecycle ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        cur = self._writer
        cur.execute("BEGIN")
        for statement in SCHEMA_STATEMENTS:
            cur.execute(statement)
        found = cur.execute("SELECT value FROM nebula_meta WHERE key = 'schema_version'").fetchone()
        if found is None:
            cur.execute(
                "INSERT INTO nebula_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        elif int(found[0]) > SCHEMA_VERSION:
            cur.execute("ROLLBACK")
            raise StoreError(
                f"The store {self.path} was written by a newer Nebula (schema {found[0]}, this "
                f"version reads up to {SCHEMA_VERSION}). Upgrade Nebula to open it.",
                path=self.path,
            )
        cur.execute("COMMIT")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._con.close()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise StoreClosed("The store is closed; open it again to use it.")
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._con.cursor()
            self._local.cursor = cursor
        return cursor

    def connection_for_queries(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor, for the Lookback query engine."""
        return self._reader()

    # -- stars and types ------------------------------------------------------------------------

    def load_stars(self) -> list[StarRow]:
        rows = (
            self._reader()
            .execute("SELECT star, epoch_us(created_at), created_by FROM stars ORDER BY star")
            .fetchall()
        )
        return [StarRow(r[0], _ts(r[1]), r[2]) for r in rows]

    def insert_star(self, row: StarRow) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT INTO stars VALUES (?, ?, ?)", [row.star, row.created_at, row.created_by]
            )

    def load_types(self) -> list[TypeRow]:
        rows = (
            self._reader()
            .execute(
                "SELECT star, name, version, json_schema::VARCHAR, epoch_us(defined_at), "
                "defined_by FROM resource_types ORDER BY star, name, version"
            )
            .fetchall()
        )
        return [TypeRow(r[0], r[1], r[2], r[3], _ts(r[4]), r[5]) for r in rows]

    def insert_type(self, row: TypeRow) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT OR REPLACE INTO resource_types VALUES (?, ?, ?, ?, ?, ?)",
                [row.star, row.name, row.version, row.json_schema, row.defined_at, row.defined_by],
            )

    def counters(self) -> tuple[int, int, dict[str, int]]:
        cur = self._reader()
        sid, eid = cur.execute(
            "SELECT coalesce(max(sid), 0), coalesce(max(eid), 0) FROM snapshots"
        ).fetchall()[0]
        seqs = dict(cur.execute("SELECT star, max(seq) FROM changes GROUP BY star").fetchall())
        return int(sid), int(eid), {str(k): int(v) for k, v in seqs.items()}

    # -- reads ----------------------------------------------------------------------------------

    def _heads(self, cur: duckdb.DuckDBPyConnection, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        if not keys:
            return {}
        if len(keys) == 1:
            rows = cur.execute(_SELECT_HEAD + "WHERE rkey = ?", [_rkey(*keys[0])]).fetchall()
        else:
            rows = cur.execute(
                _SELECT_HEAD + "WHERE rkey IN (SELECT unnest(?))",
                [[_rkey(*k) for k in keys]],
            ).fetchall()
        heads = (_head(r) for r in rows)
        return {h.key: h for h in heads}

    def read_heads(self, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        return self._heads(self._reader(), keys)

    def read_heads_for_write(self, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        with self._write_lock:
            return self._heads(self._writer, keys)

    def list_heads(
        self, star: str, type_name: str | None, after_id: str | None, limit: int
    ) -> list[HeadRow]:
        sql = _SELECT_HEAD + "WHERE star = ? AND NOT deleted"
        params: list[Any] = [star]
        if type_name is not None:
            sql += " AND type = ?"
            params.append(type_name)
        if after_id is not None:
            sql += " AND id > ?"
            params.append(after_id)
        sql += " ORDER BY type, id LIMIT ?"
        params.append(limit)
        return [_head(r) for r in self._reader().execute(sql, params).fetchall()]

    def read_as_of(self, star: str, type_name: str, id_: str, at: datetime) -> SnapshotRow | None:
        row = (
            self._reader()
            .execute(
                _AS_OF_SQL,
                [_rkey(star, type_name, id_), at, at],
            )
            .fetchone()
        )
        return None if row is None else _snapshot(row)

    def read_history(self, star: str, type_name: str, id_: str) -> list[SnapshotRow]:
        rows = (
            self._reader()
            .execute(
                _HISTORY_SQL,
                [_rkey(star, type_name, id_)],
            )
            .fetchall()
        )
        return [_snapshot(r) for r in rows]

    def read_changes(
        self, star: str, after_seq: int, limit: int
    ) -> list[tuple[ChangeRow, SnapshotRow]]:
        rows = (
            self._reader()
            .execute(
                "SELECT c.star, c.seq, c.op, c.type, c.id, c.sid, epoch_us(c.committed_at), "
                "c.changed_by, s.sid, s.eid, s.star, s.type, s.id, s.snapshot_number, "
                "epoch_us(s.valid_from), "
                "epoch_us(s.valid_to), s.value::VARCHAR, s.previous_values::VARCHAR, s.etag, "
                "s.changed_by, s.schema_version "
                "FROM changes c JOIN snapshots s ON s.sid = c.sid "
                "WHERE c.star = ? AND c.seq > ? ORDER BY c.seq LIMIT ?",
                [star, after_seq, limit],
            )
            .fetchall()
        )
        return [
            (ChangeRow(r[0], r[1], r[2], r[3], r[4], r[5], _ts(r[6]), r[7]), _snapshot(r[8:]))
            for r in rows
        ]

    # -- writes (committer thread only) ---------------------------------------------------------

    def apply(self, batch: WriteBatch) -> None:
        import pyarrow as pa

        with self._write_lock:
            self._apply(batch, pa)

    def _apply(self, batch: WriteBatch, pa: Any) -> None:
        cur = self._writer
        ts = pa.timestamp("us", tz="UTC")
        cur.execute("BEGIN")
        try:
            if batch.closes:
                cur.execute(
                    "UPDATE snapshots SET valid_to = c.valid_to "
                    "FROM (SELECT unnest(?::BIGINT[]) AS sid, "
                    "unnest(?::TIMESTAMPTZ[]) AS valid_to) c "
                    "WHERE snapshots.sid = c.sid",
                    [[c[0] for c in batch.closes], [c[1] for c in batch.closes]],
                )
            if batch.snapshots:
                cur.register("nebula_new_snapshots", _snapshot_table(pa, batch.snapshots))
                cur.execute("INSERT INTO snapshots SELECT * FROM nebula_new_snapshots")
                cur.unregister("nebula_new_snapshots")
            if batch.heads:
                heads = _snapshot_table(pa, [h.snapshot for h in batch.heads])
                heads = heads.add_column(0, "deleted", pa.array([h.deleted for h in batch.heads]))
                heads = heads.add_column(
                    0, "rkey", pa.array([_rkey(*h.key) for h in batch.heads], pa.string())
                )
                cur.register("nebula_new_heads", heads)
                cur.execute("INSERT OR REPLACE INTO heads SELECT * FROM nebula_new_heads")
                cur.unregister("nebula_new_heads")
            if batch.changes:
                c = batch.changes
                new_changes = pa.table(
                    {
                        "star": [r.star for r in c],
                        "seq": pa.array([r.seq for r in c], pa.int64()),
                        "op": [r.op for r in c],
                        "type": [r.type for r in c],
                        "id": [r.id for r in c],
                        "sid": pa.array([r.sid for r in c], pa.int64()),
                        "committed_at": pa.array([r.at for r in c], ts),
                        "changed_by": [r.changed_by for r in c],
                    }
                )
                cur.register("nebula_new_changes", new_changes)
                cur.execute("INSERT INTO changes SELECT * FROM nebula_new_changes")
                cur.unregister("nebula_new_changes")
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise

    def rewrite_current(self, key: Key, sid: int, value: str, schema_version: int) -> None:
        with self._write_lock:
            cur = self._writer
            cur.execute("BEGIN")
            try:
                cur.execute(
                    "UPDATE snapshots SET value = ?, schema_version = ? WHERE sid = ?",
                    [value, schema_version, sid],
                )
                cur.execute(
                    "UPDATE heads SET value = ?, schema_version = ? WHERE rkey = ? AND sid = ?",
                    [value, schema_version, _rkey(*key), sid],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
