"""The DuckDB implementation of :class:`nebula_kernel.ports.ResourceRepo`: one database file.

One process opens the file read-write; DuckDB's own file lock keeps every other process out,
and :func:`open_duckdb` turns that into :class:`StoreLocked` naming the holder. Reads use one
cursor per thread (a DuckDB connection is not thread-safe); writes come from the store's single
committer thread through its own cursor, each :class:`WriteBatch` in one DuckDB transaction.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel._time import epoch_us, from_epoch_us
from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS, SCHEMA_VERSION, UPGRADES
from nebula_kernel.errors import StoreClosed, StoreError, StoreLocked
from nebula_kernel.ports import ChangeRow, HeadRow, SnapshotRow, StarRow, TypeRow, WriteBatch

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDbResourceRepo", "open_duckdb"]

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")

Key = tuple[str, str, str]


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
_SNAPSHOT_SELECT = (
    "sid, eid, star, type, id, snapshot_number, epoch_us(valid_from), epoch_us(valid_to), "
    "value::VARCHAR, previous_values::VARCHAR, etag, changed_by, schema_version"
)


def _select_heads(where: str) -> str:
    """The heads that ``where`` keeps (constant text: a condition on ``heads``, then perhaps an
    order and a limit), each joined to the snapshot it names: ``deleted``, then the snapshot's
    columns (see _head). DuckDB scans only the snapshots between the lowest and the highest
    ``sid`` the heads name: for one resource, its row."""
    return (
        "SELECT deleted, "  # noqa: S608 - constant fragments
        + _SNAPSHOT_SELECT
        + " FROM (SELECT deleted, sid AS head FROM heads WHERE "
        + where
        + ") JOIN snapshots ON sid = head"
    )


_HEAD_SQL = _select_heads("rkey = ?")
_HEADS_SQL = _select_heads("rkey IN (SELECT unnest(?))")
# A resource's snapshots are found by its eid given as a constant: DuckDB then skips every
# stored segment whose eid range excludes it. Taken from a subquery on heads instead, the eid is
# known only while the scan runs, which then reads the whole table (100,000 of 1,000,000
# snapshots: ~1.7 ms against ~0.7 ms).
_AS_OF_SQL = (
    "SELECT "  # noqa: S608 - constants only
    + _SNAPSHOT_SELECT
    + " FROM snapshots WHERE eid = ? AND valid_from <= ? AND valid_to > ?"
)
_HISTORY_SQL = (
    "SELECT "  # noqa: S608 - constants only
    + _SNAPSHOT_SELECT
    + " FROM snapshots WHERE eid = ? ORDER BY snapshot_number"
)
# A star's change log after a sequence number: its puts are the snapshots they opened, its
# deletes the deletions joined to the snapshots they closed (renamed apart, so that the
# snapshot's columns are read plain). Parameters: star and after, for the puts then the
# deletes; then the limit.
_CHANGES_SQL = (
    "SELECT star, seq, 'put', type, id, sid, epoch_us(valid_from), changed_by, "  # noqa: S608
    + _SNAPSHOT_SELECT
    + " FROM snapshots WHERE star = ? AND seq > ? UNION ALL "
    "SELECT star, deletion, 'delete', type, id, sid, epoch_us(deleted_at), deleted_by, "
    + _SNAPSHOT_SELECT
    + " FROM (SELECT seq AS deletion, sid AS closed, deleted_at, deleted_by FROM deletions "
    "WHERE star = ? AND seq > ?) JOIN snapshots ON sid = closed ORDER BY 2 LIMIT ?"
)
# How many resources' eids a repository remembers (an eid never changes: a resource keeps it
# through deletes, and head rows are never removed).
_EID_CACHE_SIZE = 100_000


def _snapshot(row: tuple[Any, ...]) -> SnapshotRow:
    return SnapshotRow(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        from_epoch_us(row[6]),
        from_epoch_us(row[7]),
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
    )


def _head(row: tuple[Any, ...]) -> HeadRow:
    return HeadRow(_snapshot(row[1:]), bool(row[0]))


# How a batch reaches DuckDB. Planning a statement costs ~0.5 ms however few rows it holds, so a
# single row goes as a parameterized statement, up to _ARROW_ROWS rows through appenders (made
# once; a flush plans nothing new), and more as Arrow tables, which DuckDB takes fastest in bulk
# (10,000 rows: ~17 ms, ~40 ms through an appender). Small batches avoid Arrow also because
# DuckDB needs the GIL to scan a Python object, and waiting for it behind concurrent writers
# costs more than the scan.
_ARROW_ROWS = 1_000
_INSERT_ONE = {
    "snapshots": "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "heads": "INSERT INTO heads VALUES (?, ?, ?, ?, ?, ?, ?)",
    "deletions": "INSERT INTO deletions VALUES (?, ?, ?, ?, ?)",
}
# A head is rewritten in place, in the columns that change (a resource keeps its key and eid);
# only resources new to the store get a row. For a few rows INSERT OR REPLACE, which deletes and
# re-inserts each row and its index entry, is 4x slower here.
_UPDATE_HEAD = "UPDATE heads SET deleted = ?, sid = ? WHERE rkey = ?"


def _head_values(h: HeadRow) -> tuple[Any, ...]:
    """The head's row, in the column order of ``heads``."""
    s = h.snapshot
    return (_rkey(s.star, s.type, s.id), h.deleted, s.sid, s.eid, s.star, s.type, s.id)


def _head_update_values(h: HeadRow) -> tuple[Any, ...]:
    """What a write changes in an existing head, in _UPDATE_HEAD's parameter order."""
    s = h.snapshot
    return (h.deleted, s.sid, _rkey(s.star, s.type, s.id))


_SNAPSHOT_COLUMNS = (
    ("sid", "int64"),
    ("eid", "int64"),
    ("star", "string"),
    ("type", "string"),
    ("id", "string"),
    ("snapshot_number", "int32"),
    ("valid_from", "timestamp"),
    ("valid_to", "timestamp"),
    ("value", "json"),
    ("previous_values", "json"),
    ("etag", "string"),
    ("changed_by", "string"),
    ("schema_version", "int32"),
)
_COLUMNS = {
    # A snapshot and its place in the change log (the put that opened it).
    "snapshots": (*_SNAPSHOT_COLUMNS, ("seq", "int64")),
    "heads": (
        ("rkey", "string"),
        ("deleted", "bool"),
        ("sid", "int64"),
        ("eid", "int64"),
        ("star", "string"),
        ("type", "string"),
        ("id", "string"),
    ),
    "deletions": (
        ("star", "string"),
        ("seq", "int64"),
        ("sid", "int64"),
        ("deleted_at", "timestamp"),
        ("deleted_by", "string"),
    ),
    "closes": (("sid", "int64"), ("valid_to", "timestamp")),
}
# Updating the changed columns in place, joined on the key, is 2-3x faster here than INSERT OR
# REPLACE, which deletes and re-inserts each row and its index entry (10,000 heads, DuckDB 2.0,
# medians of 10: ~20 ms against ~45 ms).
_UPDATE_HEADS_FROM_BATCH = (
    "UPDATE heads SET deleted = h.deleted, sid = h.sid FROM nebula_batch_heads h "
    "WHERE heads.rkey = h.rkey"
)


# What a big batch runs, in order, each over the Arrow table of the same name; a table without
# rows is left out, since DuckDB plans and runs a statement even over nothing (~1 ms).
_BULK_STATEMENTS = {
    "closes": "UPDATE snapshots SET valid_to = c.valid_to FROM nebula_batch_closes c "
    "WHERE snapshots.sid = c.sid",
    "snapshots": "INSERT INTO snapshots SELECT * FROM nebula_batch_snapshots",
    "heads": _UPDATE_HEADS_FROM_BATCH,
    "new_heads": "INSERT INTO heads SELECT * FROM nebula_batch_new_heads",
    "deletions": "INSERT INTO deletions SELECT * FROM nebula_batch_deletions",
}


@functools.cache
def _arrow_schema(table: str) -> Any:
    import pyarrow as pa

    types = {
        "int64": pa.int64(),
        "int32": pa.int32(),
        "string": pa.string(),
        # Arrow's JSON extension type arrives in DuckDB as JSON as it is; a string would be
        # parsed again to check it is JSON (~3 ms for 10,000 documents), and the store wrote
        # every document itself from parsed values.
        "json": pa.json_(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([(name, types[kind]) for name, kind in _COLUMNS[table]])


def _table(table: str, columns: Sequence[Sequence[Any]]) -> Any:
    import pyarrow as pa

    schema = _arrow_schema(table)
    return pa.table(
        [
            pa.array(_micros(c) if pa.types.is_timestamp(f.type) else c, f.type)
            for c, f in zip(columns, schema, strict=True)
        ],
        schema=schema,
    )


def _micros(moments: Sequence[datetime]) -> list[int]:
    """Datetimes as epoch microseconds, each distinct one converted once.

    Arrow converts a list of datetimes at ~160 ns each; a batch holds few distinct instants (one
    per transaction, and the open end), so looking them up is ~4x faster (10,000: 2 ms, 0.45 ms).
    """
    known = {moment: epoch_us(moment) for moment in set(moments)}
    return [known[moment] for moment in moments]


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[Sequence[Any]]:
    """Rows (NamedTuples in column order) as columns."""
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def _head_table(heads: Sequence[HeadRow]) -> Any:
    """The heads as an Arrow table."""
    return _table("heads", _columns([_head_values(h) for h in heads], len(_COLUMNS["heads"])))


def _logged(batch: WriteBatch) -> tuple[list[int], list[tuple[Any, ...]]]:
    """Where the batch's change log is stored: for each of its snapshots, the sequence number
    of the put that opened it (its ``seq`` column); and a row of ``deletions`` per delete."""
    opened = {c.sid: c.seq for c in batch.changes if c.op == "put"}
    deletions = [
        (c.star, c.seq, c.sid, c.at, c.changed_by) for c in batch.changes if c.op == "delete"
    ]
    return [opened[s.sid] for s in batch.snapshots], deletions


def _bulk_tables(batch: WriteBatch) -> dict[str, Any]:
    """The batch as Arrow tables, its rows transposed to columns; the heads of resources new to
    the store apart from those that replace a head row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    new = _new_eids(batch)
    seqs, deletions = _logged(batch)
    heads = _head_table(batch.heads)
    is_new = pa.array([h.snapshot.eid in new for h in batch.heads], pa.bool_())
    return {
        "closes": _table("closes", _columns(batch.closes, len(_COLUMNS["closes"]))),
        "snapshots": _table(
            "snapshots", [*_columns(batch.snapshots, len(_SNAPSHOT_COLUMNS)), seqs]
        ),
        "new_heads": heads.filter(is_new),
        "heads": heads.filter(pc.invert(is_new)),
        "deletions": _table("deletions", _columns(deletions, len(_COLUMNS["deletions"]))),
    }


def _new_eids(batch: WriteBatch) -> set[int]:
    """Resources whose first snapshot is in this batch: the only ones without a head row yet.

    Head rows are never deleted (a deleted resource keeps its closed head), so every other
    resource in the batch has one.
    """
    return {s.eid for s in batch.snapshots if s.snapshot_number == 1}


class _BatchWriter:
    """Writes each :class:`WriteBatch` in one transaction on the committer's cursor."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self._appenders: dict[str, Any] = {}

    def write(self, batch: WriteBatch) -> None:
        cur = self._cur
        cur.execute("BEGIN")
        try:
            if len(batch.changes) > _ARROW_ROWS:
                self._write_bulk(batch)
            else:
                self._write_small(batch)
            cur.execute("COMMIT")
        except BaseException:
            # An appender whose flush failed may still hold its rows: start afresh next time.
            self._appenders.clear()
            cur.execute("ROLLBACK")
            raise

    def _write_small(self, batch: WriteBatch) -> None:
        new = _new_eids(batch)
        seqs, deletions = _logged(batch)
        self._close(batch.closes)
        self._insert("snapshots", [(*s, seq) for s, seq in zip(batch.snapshots, seqs, strict=True)])
        self._insert("heads", [_head_values(h) for h in batch.heads if h.snapshot.eid in new])
        self._update_heads(
            [_head_update_values(h) for h in batch.heads if h.snapshot.eid not in new]
        )
        self._insert("deletions", deletions)

    def _write_bulk(self, batch: WriteBatch) -> None:
        cur = self._cur
        tables = {name: table for name, table in _bulk_tables(batch).items() if table.num_rows}
        for name, table in tables.items():
            cur.register(f"nebula_batch_{name}", table)
        try:
            for name, statement in _BULK_STATEMENTS.items():
                if name in tables:
                    cur.execute(statement)
        finally:
            for name in tables:
                cur.unregister(f"nebula_batch_{name}")

    def _appender(self, name: str, table: str, **options: Any) -> Any:
        appender = self._appenders.get(name)
        if appender is None:
            appender = self._appenders[name] = self._cur.appender(table, **options)
        return appender

    def _insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if len(rows) == 1:
            self._cur.execute(_INSERT_ONE[table], rows[0])
        elif rows:
            appender = self._appender(table, table)
            appender.append_rows(rows)
            appender.flush()

    def _close(self, closes: Sequence[tuple[int, datetime]]) -> None:
        if len(closes) == 1:
            # A point update finds the row through the primary key instead of joining the table.
            sid, valid_to = closes[0]
            self._cur.execute("UPDATE snapshots SET valid_to = ? WHERE sid = ?", [valid_to, sid])
        elif closes:
            # Lists as parameters: here the update appender is twice as slow as this join.
            self._cur.execute(
                "UPDATE snapshots SET valid_to = c.valid_to "
                "FROM (SELECT unnest(?::BIGINT[]) AS sid, unnest(?::TIMESTAMPTZ[]) AS valid_to) c "
                "WHERE snapshots.sid = c.sid",
                [[c[0] for c in closes], [c[1] for c in closes]],
            )

    def _update_heads(self, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:
            self._cur.execute(_UPDATE_HEAD, rows[0])
        elif rows:
            appender = self._appender(
                "head_updates",
                "heads",
                columns=["deleted", "sid", "rkey"],
                action="update",
                key=["rkey"],
            )
            appender.append_rows(rows)
            appender.flush()


class DuckDbResourceRepo:
    """Stars, types, snapshots, heads and the change log in one DuckDB database."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._con = open_duckdb(path)
        self._local = threading.local()
        self._closed = False
        self._eids: dict[str, int] = {}
        self._writer = self._con.cursor()
        self._batches = _BatchWriter(self._writer)
        # The writer cursor is the committer's; the rare writes from other threads (a new star, a
        # type definition) take this lock so that they never interleave with a batch.
        self._write_lock = threading.RLock()
        try:
            self._migrate()
        except BaseException:
            self._con.close()  # let go of the file: nothing holds it open
            raise

    # -- lifecycle ------------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Create the schema of a new store, or bring an older one to this version, in one
        transaction: a store is either upgraded whole or left as it was."""
        cur = self._writer
        cur.execute("BEGIN")
        try:
            for statement in SCHEMA_STATEMENTS:
                cur.execute(statement)
            found = cur.execute(
                "SELECT value FROM nebula_meta WHERE key = 'schema_version'"
            ).fetchone()
            version = SCHEMA_VERSION if found is None else int(found[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The store {self.path} was written by a newer Nebula (schema {version}, "
                    f"this version reads up to {SCHEMA_VERSION}). Upgrade Nebula to open it.",
                    path=self.path,
                )
            for step in range(version, SCHEMA_VERSION):
                self._upgrade(step)
            if found is None or version != SCHEMA_VERSION:
                cur.execute(
                    "INSERT OR REPLACE INTO nebula_meta VALUES ('schema_version', ?)",
                    [str(SCHEMA_VERSION)],
                )
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def _upgrade(self, version: int) -> None:
        """Run the statements that bring a store of ``version`` to the next one."""
        import duckdb

        try:
            for statement in UPGRADES[version]:
                self._writer.execute(statement)
        except duckdb.Error as exc:
            raise StoreError(
                f"Could not upgrade the store {self.path} from schema {version} to "
                f"{version + 1} ({type(exc).__name__}); it is left as it was. Open it with the "
                "Nebula that wrote it, and report this.",
                path=self.path,
            ) from exc

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
        return [StarRow(r[0], from_epoch_us(r[1]), r[2]) for r in rows]

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
        return [TypeRow(r[0], r[1], r[2], r[3], from_epoch_us(r[4]), r[5]) for r in rows]

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
        seqs = dict(
            cur.execute(
                "SELECT star, max(seq) FROM (SELECT star, seq FROM snapshots UNION ALL "
                "SELECT star, seq FROM deletions) GROUP BY star"
            ).fetchall()
        )
        return int(sid), int(eid), {str(k): int(v) for k, v in seqs.items()}

    # -- reads ----------------------------------------------------------------------------------

    def _heads(self, cur: duckdb.DuckDBPyConnection, keys: Sequence[Key]) -> dict[Key, HeadRow]:
        if not keys:
            return {}
        if len(keys) == 1:
            rows = cur.execute(_HEAD_SQL, [_rkey(*keys[0])]).fetchall()
        else:
            rows = cur.execute(_HEADS_SQL, [[_rkey(*k) for k in keys]]).fetchall()
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
        where = "star = ? AND NOT deleted"
        params: list[Any] = [star]
        if type_name is not None:
            where += " AND type = ?"
            params.append(type_name)
        if after_id is not None:
            where += " AND id > ?"
            params.append(after_id)
        sql = _select_heads(where + " ORDER BY type, id LIMIT ?") + " ORDER BY type, id"
        params.append(limit)
        return [_head(r) for r in self._reader().execute(sql, params).fetchall()]

    def _eid(self, cur: duckdb.DuckDBPyConnection, key: Key) -> int | None:
        """The resource's eid, or ``None`` if it was never written."""
        rkey = _rkey(*key)
        eid = self._eids.get(rkey)
        if eid is None:
            row = cur.execute("SELECT eid FROM heads WHERE rkey = ?", [rkey]).fetchone()
            if row is None:
                return None
            if len(self._eids) >= _EID_CACHE_SIZE:
                self._eids.clear()
            eid = self._eids[rkey] = int(row[0])
        return eid

    def read_as_of(self, star: str, type_name: str, id_: str, at: datetime) -> SnapshotRow | None:
        cur = self._reader()
        eid = self._eid(cur, (star, type_name, id_))
        if eid is None:
            return None
        row = cur.execute(_AS_OF_SQL, [eid, at, at]).fetchone()
        return None if row is None else _snapshot(row)

    def read_history(self, star: str, type_name: str, id_: str) -> list[SnapshotRow]:
        cur = self._reader()
        eid = self._eid(cur, (star, type_name, id_))
        if eid is None:
            return []
        return [_snapshot(r) for r in cur.execute(_HISTORY_SQL, [eid]).fetchall()]

    def read_changes(
        self, star: str, after_seq: int, limit: int
    ) -> list[tuple[ChangeRow, SnapshotRow]]:
        rows = self._reader().execute(_CHANGES_SQL, [star, after_seq, star, after_seq, limit])
        return [
            (
                ChangeRow(r[0], r[1], r[2], r[3], r[4], r[5], from_epoch_us(r[6]), r[7]),
                _snapshot(r[8:]),
            )
            for r in rows.fetchall()
        ]

    # -- writes (committer thread only) ---------------------------------------------------------

    def apply(self, batch: WriteBatch) -> None:
        with self._write_lock:
            self._batches.write(batch)

    def rewrite_current(self, key: Key, sid: int, value: str, schema_version: int) -> None:
        # The head names the snapshot; the committer checked that it still names ``sid``.
        with self._write_lock:
            cur = self._writer
            cur.execute("BEGIN")
            try:
                cur.execute(
                    "UPDATE snapshots SET value = ?, schema_version = ? WHERE sid = ?",
                    [value, schema_version, sid],
                )
                cur.execute("INSERT INTO rewrites SELECT count(*) + 1, ? FROM rewrites", [sid])
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
