"""``find``: filter, project, sort and page the snapshots of one star, in DuckDB.

Two statements per page (all constant fragments; values are parameters). The first reads the
query's source (the typed projection when current, else the JSON of ``snapshots``; see
``_source``)::

    SELECT 0, the read point (the star's newest commit, or the one passed back)
    UNION ALL
    (SELECT 1, the matches' sids, count(*) OVER () as the total, meta fields and sort keys
     FROM the star's rows as of that point, kept to those valid at __At if any
     ORDER BY the sort keys LIMIT the page)

The second fetches the page's documents (the value, previous values, fields inside them) from
``snapshots`` by ``sid``, a primary-key lookup; they never change once written.

The rows are filtered in place when what the statement sees needs no rewriting (the first page:
a read point passed back turns later closes into open ends, in a ``visible`` CTE). On the JSON
with ``__At`` that CTE is MATERIALIZED: the instant keeps about one row per entity, and this
stops DuckDB from pushing the JSON filter into the table scan, where it would parse every row of
the history instead of those few. Typed columns are best filtered in the scan itself, and
reading the rows through a CTE costs a millisecond of planning for the projection's width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from nebula_kernel.lookback._filter import Filter, filter_sql, parse_filter
from nebula_kernel.lookback._find_query import FindQuery, parse_find_query
from nebula_kernel.lookback._find_result import FindResult, decode_rows
from nebula_kernel.lookback._find_sql import (
    Decode,
    OutputField,
    SortKey,
    output_fields,
    sort_keys,
)
from nebula_kernel.lookback._paths import parse_timestamp
from nebula_kernel.lookback._read_point import (
    EVERYTHING,
    GIVEN_POINT_SQL,
    OPEN_END_SQL,
    ReadPoint,
    Visibility,
)
from nebula_kernel.lookback._source import FieldSource, with_source

if TYPE_CHECKING:
    import duckdb

__all__ = ["find"]

# Every SQL text below is made of constant fragments, whitelisted columns and ``?`` (S608 cannot
# tell). Parameters: closed_by, star, max_sid.
_VISIBLE_SELECT: Final = (
    "SELECT * REPLACE (CASE WHEN valid_to > ? THEN " + OPEN_END_SQL + " ELSE valid_to END "  # noqa: S608
    "AS valid_to) FROM "
)
_STAR_ROWS_SQL: Final = "star = ? AND sid <= ?"
# Parameters: t, then the earlier of t and closed_by (a row closed after closed_by is open).
_VALID_AT_SQL: Final = " AND valid_from <= ? AND valid_to > ?"
# Output fields read from the documents, by sid, rather than from the query's source.
_DOCUMENT_DECODES: Final = frozenset({Decode.VALUE, Decode.JSON})
_SORT_ALIASES: Final = tuple(f"k{n}" for n in range(32))
_META_ALIASES: Final = tuple(f"m{n}" for n in range(32))


def find(
    con: duckdb.DuckDBPyConnection, star: str, query: Mapping[str, Any] | FindQuery
) -> FindResult:
    """Run a Lookback ``find`` on ``star``; only that star's snapshots are ever read."""
    parsed = parse_find_query(query)
    tree = parse_filter(parsed.find, location="find")
    given = None if parsed.read_point is None else ReadPoint.parse(parsed.read_point)
    seen = EVERYTHING if given is None else given.visibility
    at = _instant(parsed.at, seen)
    return with_source(
        con, star, lambda source: _find(con, star, _Plan(parsed, tree, given, seen, at), source)
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """The parsed query and the moment of history it reads."""

    query: FindQuery
    tree: Filter
    given: ReadPoint | None
    seen: Visibility
    at: datetime | None


def _find(
    con: duckdb.DuckDBPyConnection, star: str, plan: _Plan, source: FieldSource
) -> FindResult:
    parsed = plan.query
    where, where_params = filter_sql(plan.tree, source)
    fields = output_fields(parsed.fields)
    meta = [f for f in fields if f.decode not in _DOCUMENT_DECODES]
    documents = [f for f in fields if f.decode in _DOCUMENT_DECODES]
    keys = sort_keys(parsed.sort, source)
    point_params: list[Any]
    if plan.given is None:
        point_sql, point_params = source.point_sql, [star]
    else:
        point_sql, point_params = GIVEN_POINT_SQL, [plan.given.sid, plan.given.at_us]
    rows_of = _visible(source, star, plan.seen, plan.at)
    selected = [*(f.sql for f in meta), *(k.sql for k in keys)]
    aliases = [*_META_ALIASES[: len(meta)], *_SORT_ALIASES[: len(keys)]]
    sql = (
        rows_of.cte  # noqa: S608 - constant fragments, ? values
        + "SELECT 0 AS part, sid, at_us AS n"
        + ", NULL" * len(selected)
        + " FROM ("
        + point_sql
        + ") AS point UNION ALL (SELECT 1, sid, count(*) OVER ()"
        + "".join(", " + e + " AS " + a for e, a in zip(selected, aliases, strict=True))
        + " FROM "
        + rows_of.relation
        + " WHERE "
        + rows_of.conditions
        + where
        + " ORDER BY "
        + _order_by(keys)
        + " LIMIT ? OFFSET ?) ORDER BY part, "
        + _order_by(keys)
    )
    params = [
        *rows_of.cte_params,
        *point_params,
        *(p for k in keys for p in k.params),
        *rows_of.params,
        *where_params,
        parsed.pagesize,
        parsed.start,
    ]
    rows = con.execute(sql, params).fetchall()
    point = ReadPoint(int(rows[0][1]), int(rows[0][2]))
    page = [(row[1], *row[3 : 3 + len(meta)]) for row in rows[1:]]
    if page:
        total = int(rows[1][2])
    else:  # past the last match (or none): count without paging, at the same point
        total = _count(con, _visible(source, star, point.visibility, plan.at), where, where_params)
    texts = _documents(con, documents, [int(row[0]) for row in page])
    # Each output field's cell: the page row's meta values come first, then the documents'.
    positions = [
        1 + meta.index(f)
        if f.decode not in _DOCUMENT_DECODES
        else 1 + len(meta) + documents.index(f)
        for f in fields
    ]
    records = []
    for row in page:
        cells = (*row, *texts[row[0]])
        records.append(tuple(cells[n] for n in positions))
    return FindResult(
        total=total,
        start=parsed.start,
        pagesize=parsed.pagesize,
        results=decode_rows(fields, records),
        read_point=str(point),
    )


def _documents(
    con: duckdb.DuckDBPyConnection, fields: Sequence[OutputField], sids: Sequence[int]
) -> dict[int, tuple[Any, ...]]:
    """Per sid, the document fields of that snapshot, in the order of ``fields``."""
    if not fields or not sids:
        return dict.fromkeys(sids, ())
    rows = con.execute(
        "SELECT sid, "  # noqa: S608 - constant fragments, ? values
        + ", ".join(f.sql for f in fields)
        + " FROM snapshots WHERE sid IN ("
        + ", ".join("?" * len(sids))
        + ")",
        [*(p for f in fields for p in f.params), *sids],
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _instant(at: str | None, seen: Visibility) -> datetime | None:
    if at is None:
        return None
    if at == "current":
        return seen.closed_by
    return parse_timestamp(at, "__At")


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows a page statement reads: ``FROM relation WHERE conditions <filter>``, after
    ``cte`` (empty, or ``WITH visible AS (…) ``, with its own parameters)."""

    relation: str
    conditions: str
    params: tuple[Any, ...]
    cte: str = ""
    cte_params: tuple[Any, ...] = ()


def _visible(source: FieldSource, star: str, seen: Visibility, at: datetime | None) -> _Rows:
    """The star's rows as ``seen``, kept to those valid at ``at`` if given."""
    # Seeing everything at its last instant reads exactly the open rows.
    relation = source.rows(current=seen == EVERYTHING and at is not None and at >= seen.closed_by)
    conditions = _STAR_ROWS_SQL
    params: list[Any] = [star, seen.max_sid]
    if at is not None:  # a row closed after closed_by is open: valid_to > the earlier of the two
        conditions += _VALID_AT_SQL
        params += [at, min(at, seen.closed_by)]
    if seen == EVERYTHING and not (at is not None and source.has_documents):
        return _Rows(relation, conditions + " AND ", tuple(params))
    cte = (
        "WITH visible AS "
        + ("MATERIALIZED" if at is not None and source.has_documents else "NOT MATERIALIZED")
        + " ("
        + _VISIBLE_SELECT
        + relation
        + " WHERE "
        + conditions
        + ") "
    )
    return _Rows("visible", "", (), cte, (seen.closed_by, *params))


def _order_by(keys: Sequence[SortKey]) -> str:
    """The sort keys by alias, then ``sid`` for stable pages."""
    aliases = _SORT_ALIASES[: len(keys)]
    ordered = [a + " " + k.direction for k, a in zip(keys, aliases, strict=True)]
    return ", ".join([*ordered, "sid"])


def _count(
    con: duckdb.DuckDBPyConnection, rows_of: _Rows, where: str, where_params: Sequence[Any]
) -> int:
    row = con.execute(
        rows_of.cte  # noqa: S608 - constant fragments, ? values
        + "SELECT count(*) FROM "
        + rows_of.relation
        + " WHERE "
        + rows_of.conditions
        + where,
        [*rows_of.cte_params, *rows_of.params, *where_params],
    ).fetchone()
    return 0 if row is None else int(row[0])
