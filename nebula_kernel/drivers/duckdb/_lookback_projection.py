"""The Lookback projection: the top-level fields of each snapshot as typed columns.

Lookback queries spend most of their time parsing the JSON of ``snapshots.value``. For a star
with a long history (:data:`PROJECT_FROM_ROWS` snapshots, or on :func:`project_star`),
``lookback_projection`` holds one row per snapshot: the meta columns of ``snapshots``, two facts
computed once (``changed_nothing``, and ``has_prior``: whether it has a version before it, see
``FieldSource.has_prior_sql``) and, per
top-level key of ``value`` and of ``previous_values``, the five readings of ``_source.Extract``
(JSON type, JSON text, string, number, loose number), each the very expression a JSON query
would evaluate, computed once. Columns are named by slot (``f3_t``);
``lookback_projection_fields`` maps a (document, key) to its slot. Keys appear as they are
first seen, up to :data:`MAX_FIELDS`; a query reading any other path runs on the JSON.
``lookback_current`` holds the same columns for the rows still open (one per live resource): a
query of the current state (a cube's default ``__At``) scans those instead of picking them out
of the whole history.

Maintenance happens at query time, from the Lookback side: the writers only ever append
snapshots (growing ``sid``) and close open ones (``valid_to`` set once), and a close that comes
without a new snapshot (a delete) adds a row to ``deletions``; a value rewritten in place (a
schema migration's write-back) adds one to ``rewrites``. So the fingerprint (count and highest
``sid`` of ``snapshots``, counts of ``deletions`` and ``rewrites``, all read from DuckDB's table
statistics) moves with every write; while it matches the one recorded, the projection is current
(one cheap statement per query). Otherwise one
transaction appends the new snapshots in one ``INSERT … SELECT`` (each document parsed once),
projects again the rows rewritten since, copies ``valid_to`` onto the rows that were open and
are closed now (dropping them from ``lookback_current``, which gains the new open rows), and
records each star's read point. If
the projected rows are no longer a prefix of ``snapshots`` (rows were removed), the projection
is rebuilt, and so is one whose token names another layout of these tables. A read-only
connection uses the projection only while it is current.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any, Final

import duckdb

from nebula_kernel.drivers.duckdb._schema import LOOKBACK_TABLES
from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._paths import parse_path
from nebula_kernel.lookback._read_point import OPEN_END_SQL
from nebula_kernel.lookback._source import COLUMN_SUFFIXES, JSON_SOURCE, Extract, FieldSource

__all__ = ["MAX_FIELDS", "PROJECT_FROM_ROWS", "project_star", "projected_source"]

PROJECT_FROM_ROWS: Final = 10_000
"""A star is projected once it has this many snapshots: below, parsing JSON costs little."""
MAX_FIELDS: Final = 100
"""At most this many (document, key) pairs get columns (five each)."""

_META_COLUMNS: Final = (
    "sid BIGINT NOT NULL, eid BIGINT NOT NULL, star VARCHAR NOT NULL, type VARCHAR NOT NULL, "
    "id VARCHAR NOT NULL, snapshot_number INTEGER NOT NULL, valid_from TIMESTAMPTZ NOT NULL, "
    "valid_to TIMESTAMPTZ NOT NULL, etag VARCHAR NOT NULL, changed_by VARCHAR NOT NULL, "
    "schema_version INTEGER NOT NULL, changed_nothing BOOLEAN NOT NULL, has_prior BOOLEAN NOT NULL"
)
# The layout of these tables, the first part of the token: a projection made with another layout
# is never read, and a writable connection makes it again.
_LAYOUT: Final = "layout-3:"
_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS lookback_projection (" + _META_COLUMNS + ")",
    "CREATE TABLE IF NOT EXISTS lookback_current (" + _META_COLUMNS + ")",
    "CREATE TABLE IF NOT EXISTS lookback_projection_fields (document VARCHAR NOT NULL, "
    "key VARCHAR NOT NULL, slot INTEGER NOT NULL, PRIMARY KEY (document, key))",
    # Per projected star, its read point (as LATEST_POINT_SQL computes it on snapshots).
    "CREATE TABLE IF NOT EXISTS lookback_projection_stars (star VARCHAR PRIMARY KEY, "
    "max_sid BIGINT NOT NULL, at_us BIGINT NOT NULL)",
    # One row: the fingerprint of snapshots and changes when the projection was last current,
    # the projected stars, the number of keys recorded, and a token naming this projection
    # (slots are cached in memory under the token and that number).
    "CREATE TABLE IF NOT EXISTS lookback_projection_state (token VARCHAR NOT NULL, "
    "snapshot_count BIGINT NOT NULL, max_sid BIGINT NOT NULL, deleted_count BIGINT NOT NULL, "
    "rewritten_count BIGINT NOT NULL, stars VARCHAR[] NOT NULL, slot_count INTEGER NOT NULL)",
)
_FINGERPRINT: Final = (
    "SELECT count(*), coalesce(max(sid), 0), (SELECT count(*) FROM deletions), "
    "(SELECT count(*) FROM rewrites) FROM snapshots"
)
# Parameters: star, the layout. One row: token, slot count, whether the star is projected,
# whether the projection is current.
_CHECK: Final = (
    "SELECT s.token, s.slot_count, list_contains(s.stars, ?), starts_with(s.token, ?) AND "
    "(s.snapshot_count, s.max_sid, s.deleted_count, s.rewritten_count) = (f.n, f.m, f.d, f.r) "
    "FROM lookback_projection_state s, "
    "(SELECT count(*) AS n, coalesce(max(sid), 0) AS m, (SELECT count(*) FROM deletions) AS d, "
    "(SELECT count(*) FROM rewrites) AS r FROM snapshots) f"
)
# The tables with a row per projected snapshot (history) or per live resource (current).
_PROJECTED_TABLES: Final = ("lookback_projection", "lookback_current")
_POINT_SQL: Final = "SELECT max_sid AS sid, at_us FROM lookback_projection_stars WHERE star = ?"
# Parameter: the projected stars (one with no snapshots yet has the point 0:0).
_STAR_POINTS: Final = (
    "INSERT INTO lookback_projection_stars "
    "SELECT s.star, coalesce(max(p.sid), 0), coalesce(epoch_us(greatest(max(p.valid_from), "
    "max(p.valid_to) FILTER (WHERE p.valid_to < " + OPEN_END_SQL + "))), 0) "
    "FROM unnest(?::VARCHAR[]) AS s(star) LEFT JOIN lookback_projection p USING (star) "
    "GROUP BY s.star"
)
_CLOSE_OPEN_ROWS: Final = (
    "UPDATE lookback_projection SET valid_to = s.valid_to FROM snapshots s "  # noqa: S608 - constants only
    "WHERE lookback_projection.sid = s.sid AND lookback_projection.valid_to = "
    + OPEN_END_SQL
    + " AND s.valid_to <> "
    + OPEN_END_SQL
)
# Parameter: the rewrites already projected.
_DROP_REWRITTEN: Final = "DELETE FROM {table} WHERE sid IN (SELECT sid FROM rewrites WHERE n > ?)"
_DROP_CLOSED_CURRENT: Final = (
    "DELETE FROM lookback_current USING snapshots s WHERE lookback_current.sid = s.sid "  # noqa: S608 - constants only
    "AND s.valid_to <> " + OPEN_END_SQL
)
# The extraction of one slot from the element its document yielded (``{e}``).
_FROM_ELEMENT: Final = {
    Extract.TYPE: "json_type({e})",
    Extract.TEXT: "{e}::VARCHAR",
    Extract.STRING: "json_extract_string({e}, '$')",
    Extract.NUMBER: "TRY_CAST({e}::VARCHAR AS DOUBLE)",
    Extract.LOOSE_NUMBER: "TRY_CAST({e} AS DOUBLE)",
}
_COLUMN_TYPES: Final = {
    Extract.TYPE: "VARCHAR",
    Extract.TEXT: "VARCHAR",
    Extract.STRING: "VARCHAR",
    Extract.NUMBER: "DOUBLE",
    Extract.LOOSE_NUMBER: "DOUBLE",
}
_DOCUMENTS: Final = ("value", "previous_values")
_catch_up_lock = threading.Lock()
# (token, slot count) -> the source; slots never change once given, so this never goes stale.
_sources: dict[tuple[str, int], FieldSource] = {}

Slot = tuple[str, str, int]


def projected_source(con: duckdb.DuckDBPyConnection, star: str) -> FieldSource | None:
    """The projection as a source for ``star`` if it is (or can be made) current, else None."""
    row = _check(con, star)
    if row is not None and row[2] and row[3]:
        return _cached_source(con, str(row[0]), int(row[1]))
    if _read_only(con):
        return None
    if (row is None or not row[2]) and _star_rows(con, star) < PROJECT_FROM_ROWS:
        return None
    try:
        _catch_up(con, star)
    except duckdb.Error:  # e.g. inside the caller's transaction, or a concurrent writer's
        return None
    row = _check(con, star)
    return None if row is None else _cached_source(con, str(row[0]), int(row[1]))


def project_star(con: duckdb.DuckDBPyConnection, star: str) -> None:
    """Project ``star`` now, whatever its size (and bring the projection up to date)."""
    _catch_up(con, star)


# What _CHECK says of a projection whose state has another layout's columns: there is one, to
# be made again (its token names no layout of these tables).
_OTHER_LAYOUT: Final = ("", 0, True, False)


def _check(con: duckdb.DuckDBPyConnection, star: str) -> tuple[Any, ...] | None:
    try:
        return con.execute(_CHECK, [star, _LAYOUT]).fetchone()
    except duckdb.CatalogException:  # no projection yet, or a store still to upgrade
        return None
    except duckdb.BinderException:
        return _OTHER_LAYOUT


def _cached_source(con: duckdb.DuckDBPyConnection, token: str, slot_count: int) -> FieldSource:
    key = (token, slot_count)
    source = _sources.get(key)
    if source is None:
        slots = con.execute("SELECT document, key, slot FROM lookback_projection_fields").fetchall()
        columns = {(str(d), str(k)): f"f{s}" for d, k, s in slots if s >= 0}
        beyond = frozenset((str(d), str(k)) for d, k, s in slots if s < 0)
        source = FieldSource(
            "lookback_projection",
            _POINT_SQL,
            columns,
            unprojected=beyond,
            current_relation="lookback_current",
        )
        _sources[key] = source
    return source


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row and row[0])


def _star_rows(con: duckdb.DuckDBPyConnection, star: str) -> int:
    row = con.execute("SELECT count(*) FROM snapshots WHERE star = ?", [star]).fetchone()
    return 0 if row is None else int(row[0])


def _catch_up(con: duckdb.DuckDBPyConnection, star: str) -> None:
    """Bring the projection up to date, with ``star`` among the projected stars."""
    with _catch_up_lock:
        con.execute("BEGIN TRANSACTION")
        try:
            _catch_up_in_transaction(con, star)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def _catch_up_in_transaction(con: duckdb.DuckDBPyConnection, star: str) -> None:
    token = _recorded_token(con)
    if token is not None and not token.startswith(_LAYOUT):
        for table in LOOKBACK_TABLES:
            con.execute("DROP TABLE IF EXISTS " + table)
        token = None
    for statement in _TABLES:
        con.execute(statement)
    fingerprint = con.execute(_FINGERPRINT).fetchone()
    assert fingerprint is not None
    if token is None:
        token, watermark, rewrites_seen, known_stars = _LAYOUT + str(uuid.uuid4()), 0, 0, []
    else:
        state = con.execute(
            "SELECT max_sid, rewritten_count, stars FROM lookback_projection_state"
        ).fetchone()
        assert state is not None
        watermark, rewrites_seen, known_stars = state
    if not _is_prefix(con, watermark, known_stars):
        for table in _PROJECTED_TABLES:
            con.execute("DELETE FROM " + table)  # noqa: S608 - a constant
        watermark = 0
    for table in _PROJECTED_TABLES:  # projected again below, from their new values
        con.execute(_DROP_REWRITTEN.format(table=table), [rewrites_seen])
    stars = sorted({*known_stars, star})
    # New snapshots of projected stars, all of a star projected for the first time, and the
    # snapshots rewritten since the last catch-up.
    where = (
        "list_contains(?::VARCHAR[], star) AND (sid > ? OR star = ? OR "
        "sid IN (SELECT sid FROM rewrites WHERE n > ?))"
    )
    params = [stars, watermark, "" if star in known_stars else star, rewrites_seen]
    slots, recorded = _add_slots(con, where, params)
    con.execute(_insert_sql(slots, where), params)
    con.execute(_CLOSE_OPEN_ROWS)
    con.execute(_DROP_CLOSED_CURRENT)
    con.execute(
        "INSERT INTO lookback_current BY NAME SELECT * FROM lookback_projection "  # noqa: S608 - where: a constant
        "WHERE valid_to = " + OPEN_END_SQL + " AND " + where + " ORDER BY sid",
        params,
    )
    con.execute("DELETE FROM lookback_projection_stars")
    con.execute(_STAR_POINTS, [stars])
    con.execute("DELETE FROM lookback_projection_state")
    con.execute(
        "INSERT INTO lookback_projection_state VALUES (?, ?, ?, ?, ?, ?, ?)",
        [token, *fingerprint, stars, recorded],
    )


def _recorded_token(con: duckdb.DuckDBPyConnection) -> str | None:
    """The projection's token, if there is a projection, of whatever layout (every layout's
    state has its token, the layout first)."""
    # Asked of the catalog: a failed statement would abort the caller's transaction.
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'lookback_projection_state' "
        "AND database_name = current_database() AND schema_name = current_schema()"
    ).fetchone()
    if not found or not found[0]:
        return None
    row = con.execute("SELECT token FROM lookback_projection_state").fetchone()
    return None if row is None else str(row[0])


def _is_prefix(con: duckdb.DuckDBPyConnection, watermark: int, stars: list[str]) -> bool:
    """Whether the projected rows are still as many as the snapshots up to the watermark."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM snapshots WHERE sid <= ? AND list_contains(?, star)), "
        "(SELECT count(*) FROM lookback_projection)",
        [watermark, stars],
    ).fetchone()
    return row is not None and row[0] == row[1]


def _add_slots(
    con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]
) -> tuple[list[Slot], int]:
    """Give a slot (and its columns) to each addressable key first seen in the rows of
    ``where``, up to :data:`MAX_FIELDS`, and slot -1 (no columns) to those beyond; all the
    slots with columns, old and new, and the number of keys recorded."""
    recorded = [
        (str(d), str(k), int(s))
        for d, k, s in con.execute(
            "SELECT document, key, slot FROM lookback_projection_fields ORDER BY slot"
        ).fetchall()
    ]
    known = {(d, k) for d, k, _ in recorded}
    slots = [slot for slot in recorded if slot[2] >= 0]
    seen = con.execute(
        "SELECT DISTINCT document, key FROM (SELECT 'value' AS document, "  # noqa: S608 - where: a constant
        "unnest(json_keys(value)) AS key FROM snapshots WHERE " + where + " UNION ALL "
        "SELECT 'previous_values', unnest(json_keys(previous_values)) FROM snapshots WHERE "
        + where
        + ") ORDER BY document DESC, key",
        [*params, *params],
    ).fetchall()
    for document, key in seen:
        if (document, key) in known or not _addressable(key):
            continue
        known.add((document, key))
        if len(slots) >= MAX_FIELDS:
            con.execute("INSERT INTO lookback_projection_fields VALUES (?, ?, -1)", [document, key])
            continue
        slot = len(slots)
        for table in _PROJECTED_TABLES:
            for extract, suffix in COLUMN_SUFFIXES.items():
                con.execute(
                    f"ALTER TABLE {table} ADD COLUMN f{slot}{suffix} " + _COLUMN_TYPES[extract]
                )
        con.execute(
            "INSERT INTO lookback_projection_fields VALUES (?, ?, ?)", [document, key, slot]
        )
        slots.append((document, key, slot))
    return slots, len(known)


def _addressable(key: str) -> bool:
    """Whether a query can name ``key`` as a top-level field (else it never reads the slot)."""
    try:
        path = parse_path(key, "key")
    except InvalidQuery:
        return False
    return path.meta is None and path.json_column == "value" and path.segments == (key,)


def _insert_sql(slots: Sequence[Slot], where: str) -> str:
    """``INSERT … SELECT`` of the snapshots of ``where`` (the constant text of a condition)."""
    columns = ["sid", "eid", "star", "type", "id", "snapshot_number", "valid_from", "valid_to"]
    columns += ["etag", "changed_by", "schema_version"]
    columns.append(JSON_SOURCE.changed_nothing_sql + " AS changed_nothing")
    # Final when projected: the snapshot a write replaces is closed in the same transaction.
    columns.append(JSON_SOURCE.has_prior_sql("s").text + " AS has_prior")
    extracted: list[str] = []
    for index, document in enumerate(_DOCUMENTS):
        mine = [(key, slot) for d, key, slot in slots if d == document]
        if not mine:
            continue
        # One parse per document: the elements of all its keys, in slot order.
        paths = ", ".join("'$.\"" + key + "\"'" for key, _ in mine)
        extracted.append(f"json_extract({document}, [{paths}]) AS doc{index}")
        for position, (_, slot) in enumerate(mine, start=1):
            element = f"doc{index}[{position}]"
            for extract, suffix in COLUMN_SUFFIXES.items():
                columns.append(_FROM_ELEMENT[extract].format(e=element) + f" AS f{slot}{suffix}")
    inner = ", ".join(["*", *extracted])
    # Keys are addressable names (letters, digits, '_', '-'), so quoting them is enough; the
    # path list must be a constant for DuckDB to parse each document once.
    return (
        "INSERT INTO lookback_projection BY NAME SELECT "  # noqa: S608 - keys are checked names
        + ", ".join(columns)
        + " FROM (SELECT "
        + inner
        + " FROM snapshots WHERE "
        + where
        + ") AS s ORDER BY sid"
    )
