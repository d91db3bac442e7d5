"""``find``: filter, project, sort and page the snapshots of one star, in DuckDB.

Two statements per page (all constant fragments; values are parameters). The first reads the
query's source (the typed projection when current, else the JSON of ``snapshots``; see
``_source``)::

    WITH point   AS (the read point: the star's newest commit, or the one passed back),
         visible AS (the star's rows as of that point, kept to those valid at __At if any),
         hits    AS (the matches' sids, sort keys and meta fields, with count(*) OVER () as
                     the total, sorted and cut to the page)
    SELECT point, total, the page's meta fields FROM point LEFT JOIN hits

The second fetches the page's documents (the value, previous values, fields inside them) from
``snapshots`` by ``sid``, a primary-key lookup; they never change once written.

On the JSON with ``__At``, ``visible`` is MATERIALIZED: the instant keeps about one row per
entity, and this stops DuckDB from pushing the JSON filter into the table scan, where it would
parse every row of the history instead of those few. Typed columns are best filtered in the
scan itself.
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
_VISIBLE_WHERE: Final = " WHERE star = ? AND sid <= ?"
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
    parsed, at = plan.query, plan.at
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
    visible_sql, visible_params = _visible(source, star, plan.seen, at)
    hits_sql, hits_params = _hits(keys, meta, where, where_params)
    sql = (
        "WITH point AS (" + point_sql + "), "  # noqa: S608 - constant fragments, ? values
        "visible AS "
        + ("MATERIALIZED" if at is not None and source.has_documents else "NOT MATERIALIZED")
        + " ("
        + visible_sql
        + "), "
        "hits AS (" + hits_sql + " LIMIT ? OFFSET ?) "
        "SELECT point.sid, point.at_us, hits.total, hits.sid"
        + "".join(", hits." + alias for alias in _META_ALIASES[: len(meta)])
        + " FROM point LEFT JOIN hits ON TRUE ORDER BY "
        + _order_by(keys, "hits.")
    )
    params = [*point_params, *visible_params, *hits_params, parsed.pagesize, parsed.start]
    rows = con.execute(sql, params).fetchall()
    point = ReadPoint(int(rows[0][0]), int(rows[0][1]))
    page = [row[3:] for row in rows if row[2] is not None]
    if page:
        total = int(rows[0][2])
    else:  # past the last match (or none): count without paging, at the same point
        total = _count(con, source, star, point.visibility, at, where, where_params)
    texts = _documents(con, documents, [int(row[0]) for row in page])
    records = []
    for sid, *meta_values in page:
        cells = dict(zip(meta, meta_values, strict=True)) | texts[sid]
        records.append(tuple(cells[f] for f in fields))
    return FindResult(
        total=total,
        start=parsed.start,
        pagesize=parsed.pagesize,
        results=decode_rows(fields, records),
        read_point=str(point),
    )


def _documents(
    con: duckdb.DuckDBPyConnection, fields: Sequence[OutputField], sids: Sequence[int]
) -> dict[int, dict[OutputField, Any]]:
    """Per sid, the document fields of that snapshot."""
    if not fields or not sids:
        return {sid: {} for sid in sids}
    rows = con.execute(
        "SELECT sid, "  # noqa: S608 - constant fragments, ? values
        + ", ".join(f.sql for f in fields)
        + " FROM snapshots WHERE sid IN ("
        + ", ".join("?" * len(sids))
        + ")",
        [*(p for f in fields for p in f.params), *sids],
    ).fetchall()
    return {row[0]: dict(zip(fields, row[1:], strict=True)) for row in rows}


def _instant(at: str | None, seen: Visibility) -> datetime | None:
    if at is None:
        return None
    if at == "current":
        return seen.closed_by
    return parse_timestamp(at, "__At")


def _visible(
    source: FieldSource, star: str, seen: Visibility, at: datetime | None
) -> tuple[str, list[Any]]:
    # Seeing everything at its last instant reads exactly the open rows.
    current = seen == EVERYTHING and at is not None and at >= seen.closed_by
    sql = _VISIBLE_SELECT + source.rows(current=current) + _VISIBLE_WHERE
    params: list[Any] = [seen.closed_by, star, seen.max_sid]
    if at is None:
        return sql, params
    return sql + _VALID_AT_SQL, [*params, at, min(at, seen.closed_by)]


def _hits(
    keys: Sequence[SortKey],
    meta: Sequence[OutputField],
    where: str,
    where_params: Sequence[Any],
) -> tuple[str, list[Any]]:
    """Matching sids with the total, sort keys (aliased k0, k1, …) and meta fields (m0, m1,
    …), sorted, not yet cut. The meta fields come along rather than from a join of the page
    back onto ``visible``, which would read the star's rows a second time."""
    aliases = _SORT_ALIASES[: len(keys)]
    select = "".join(", " + k.sql + " AS " + a for k, a in zip(keys, aliases, strict=True))
    select += "".join(
        ", " + f.sql + " AS " + a for f, a in zip(meta, _META_ALIASES[: len(meta)], strict=True)
    )
    sql = (
        "SELECT sid, count(*) OVER () AS total"  # noqa: S608 - constant fragments, ? values
        + select
        + " FROM visible WHERE "
        + where
        + " ORDER BY "
        + _order_by(keys, "")
    )
    return sql, [*(p for k in keys for p in k.params), *where_params]


def _order_by(keys: Sequence[SortKey], prefix: str) -> str:
    """The sort keys by alias (``prefix`` names their relation), then ``sid`` for stable pages."""
    aliases = _SORT_ALIASES[: len(keys)]
    ordered = [prefix + a + " " + k.direction for k, a in zip(keys, aliases, strict=True)]
    return ", ".join([*ordered, prefix + "sid"])


def _count(
    con: duckdb.DuckDBPyConnection,
    source: FieldSource,
    star: str,
    seen: Visibility,
    at: datetime | None,
    where: str,
    where_params: Sequence[Any],
) -> int:
    visible_sql, visible_params = _visible(source, star, seen, at)
    row = con.execute(
        "SELECT count(*) FROM (" + visible_sql + ") AS visible WHERE " + where,  # noqa: S608
        [*visible_params, *where_params],
    ).fetchone()
    return 0 if row is None else int(row[0])
