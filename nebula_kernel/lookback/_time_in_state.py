"""Time in state: per entity, the work time during which a predicate held.

Work time counts only work days (see :class:`WorkCalendar`) between ``workDayStartOn`` and
``workDayEndBefore`` (local wall clock, default 09:00-17:00) in ``tz``. Each snapshot matching
``filter`` and ``predicate`` contributes the work time of ``[valid_from, valid_to)`` clipped to
``[start, end)``; a snapshot still current counts up to ``end`` (default: now). The result is
in units of ``granularity``: minutes, hours, or work days (one day = the work day's length).

How it runs: the work time from the window's first local midnight to any instant ``t`` is
``W(t) = cumulative + clamp(t - work_start, 0, work_length)`` of the local day holding ``t``,
looked up in a table of buckets Python builds (see ``_work_time``). A snapshot then adds
``W(end) - W(start)``, in integer microseconds, summed per entity.

Incremental use: the work time of disjoint windows adds up, so after new snapshots compute the
window ``[previous end, new end)`` and combine with :func:`merge_time_in_state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from nebula_kernel._json import loads_many
from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._metrics import where_sql
from nebula_kernel.lookback._paths import parse_path
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._source import Extract, FieldSource, with_source
from nebula_kernel.lookback._specs import (
    Moment,
    WorkHoursSpec,
    parse_spec,
    to_instant,
)
from nebula_kernel.lookback._sql import Sql, sql_join
from nebula_kernel.lookback._work_time import work_buckets

if TYPE_CHECKING:
    import duckdb

__all__ = ["TimeInStateSpec", "merge_time_in_state", "time_in_state"]

_DEFAULT_WORK_HOURS = (9 * 60, 17 * 60)
_UNIT_US = {"minute": 60e6, "hour": 3600e6}
_RESULT = "timeInState"

_IN_WINDOW = " WHERE star = ? AND valid_from < ? AND valid_to > ? AND "
# The work time of a span is W(b) - W(a), each from the bucket table (see _work_time).
_WORK_US = "), per_entity AS (SELECT s.eid, sum(({wb}) - ({wa})) AS work_us FROM spans s"
_ALIVE = (
    " GROUP BY s.eid), "
    # The latest snapshot before the end: the one valid at the end, found on valid time alone,
    # or for an entity deleted before the end the last one, which ends after the start.
    "alive AS (SELECT eid, type, id"
)
# Parameters: star, end, end. Then the gone CTE's fields.
_ALIVE_FROM = (
    " WHERE star = ? AND valid_from < ? AND valid_to >= ? AND eid IN (SELECT eid FROM "
    "per_entity)), gone AS (SELECT eid, arg_max(type, valid_from) AS type, "
    "arg_max(id, valid_from) AS id"
)
# Parameters: star, end, start, then the unit.
_GONE_FROM = (
    " WHERE star = ? AND valid_from < ? AND valid_to > ? AND eid IN (SELECT eid FROM per_entity "
    "EXCEPT SELECT eid FROM alive) GROUP BY eid), "
    "latest AS (SELECT * FROM alive UNION ALL SELECT * FROM gone) "
    "SELECT l.type, l.id, p.work_us / ?"
)
_TAIL = " FROM per_entity p JOIN latest l USING (eid) ORDER BY l.type, l.id"


class TimeInStateSpec(WorkHoursSpec):
    """A time-in-state query; see the module docstring."""

    filter: dict[str, Any] | None = None
    predicate: dict[str, Any]
    start: Moment
    end: Moment | None = None
    granularity: Literal["minute", "hour", "day"] = "hour"
    fields: list[str] = Field(default_factory=list, max_length=50)


def time_in_state(
    con: duckdb.DuckDBPyConnection,
    star: str,
    spec: Mapping[str, Any] | TimeInStateSpec,
) -> ResultTable:
    """Per entity of ``star`` (``_Type``, ``_Id``): ``timeInState`` and the last ``fields``."""
    query = parse_spec(TimeInStateSpec, spec, "time in state")
    zone = query.zone
    start = to_instant(query.start, zone)
    end = datetime.now(UTC) if query.end is None else to_instant(query.end, zone)
    if end <= start:
        raise InvalidQuery("end: end must be after start", path="end")
    opens, closes = query.work_hours(_DEFAULT_WORK_HOURS) or _DEFAULT_WORK_HOURS
    unit = _UNIT_US.get(query.granularity, (closes - opens) * 60e6)
    buckets = work_buckets(query.calendar(), start, end, opens, closes)
    work_us = _WORK_US.format(
        wa=buckets.work_us_sql("s.a", "ca"), wb=buckets.work_us_sql("s.b", "cb")
    )

    def fetch(source: FieldSource) -> list[Any]:
        fields = [
            _last_value_sql(name, f"fields.{n}", source) for n, name in enumerate(query.fields)
        ]
        aliases = [f"x{n}" for n in range(len(fields))]
        sql = (
            buckets.table_sql().wrap("WITH ", ", spans AS (SELECT eid, ")  # noqa: S608 - constant fragments and ? values
            + buckets.offset_sql(Sql("greatest(valid_from, ?)", (start,)))
            + " AS a, "
            + buckets.offset_sql(Sql("least(valid_to, ?)", (end,)))
            + " AS b FROM "
            + source.relation
            + Sql(_IN_WINDOW, (star, end, start))
            + where_sql(query.filter, "filter", source)
            + " AND "
            + where_sql(query.predicate, "predicate", source)
            + work_us
            + buckets.join_sql("ca", "s.a")
            + buckets.join_sql("cb", "s.b")
            + _ALIVE
            + sql_join("", [f.wrap(", ", " AS " + a) for f, a in zip(fields, aliases, strict=True)])
            + " FROM "
            + source.relation
            + Sql(_ALIVE_FROM, (star, end, end))
            + sql_join(
                "",
                [
                    f.wrap(", arg_max(", ", valid_from) AS " + a)
                    for f, a in zip(fields, aliases, strict=True)
                ],
            )
            + " FROM "
            + source.relation
            + Sql(_GONE_FROM, (star, end, start, unit))
            + "".join(", l." + a for a in aliases)
            + _TAIL
        )
        return con.execute(sql.text, sql.params).fetchall()

    rows = with_source(con, star, fetch)
    return ResultTable(("_Type", "_Id", _RESULT, *query.fields), _decoded(rows))


def _decoded(rows: Sequence[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    """The rows with their last field values (JSON text) decoded, one parse per field: column
    by column, an absent field (None) reads as JSON null, which decodes to None too."""
    columns = list(zip(*rows, strict=True))
    fields = [loads_many(["null" if v is None else v for v in c]) for c in columns[3:]]
    return tuple(zip(*columns[:3], *fields, strict=True))


def _last_value_sql(name: str, location: str, source: FieldSource) -> Sql:
    """The field of a snapshot as JSON text."""
    path = parse_path(name, location)
    if path.meta is not None or path.json_column != "value":
        raise InvalidQuery(
            f"{location}: name a field of the value; _Type and _Id are always returned",
            path=location,
        )
    return source.read(path, Extract.TEXT)


def merge_time_in_state(older: ResultTable, newer: ResultTable) -> ResultTable:
    """Add the time of consecutive windows per entity; other fields come from ``newer``."""
    totals = {(r["_Type"], r["_Id"]): r for r in older.records()}
    for record in newer.records():
        key = (record["_Type"], record["_Id"])
        earlier = totals.get(key, {}).get(_RESULT) or 0.0
        totals[key] = {**record, _RESULT: earlier + record[_RESULT]}
    ordered = [totals[key] for key in sorted(totals)]
    return ResultTable.from_records(newer.columns, ordered)
