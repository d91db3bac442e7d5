"""Time in state: per entity, the work time during which a predicate held.

Work time counts only work days (see :class:`WorkCalendar`) between ``workDayStartOn`` and
``workDayEndBefore`` (local wall clock, default 09:00-17:00) in ``tz``. Each snapshot matching
``filter`` and ``predicate`` contributes the work time of ``[valid_from, valid_to)`` clipped to
``[start, end)``; a snapshot still current counts up to ``end`` (default: now). The result is
in units of ``granularity``: minutes, hours, or work days (one day = the work day's length).

How it runs: Python builds a calendar of the local days in the window, each with its UTC
midnight, work window and the work seconds accumulated before it, so the work time before any
instant ``t`` is ``W(t) = cumulative + clamp(t - work_start, 0, work_length)`` of the day holding
``t`` (an ASOF join in DuckDB). A snapshot then adds ``W(end) - W(start)``, summed per entity.

Incremental use: the work time of disjoint windows adds up, so after new snapshots compute the
window ``[previous end, new end)`` and combine with :func:`merge_time_in_state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from nebula_kernel._json import loads_many
from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._calendar import WorkCalendar
from nebula_kernel.lookback._metrics import where_sql
from nebula_kernel.lookback._paths import parse_path
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._source import Extract, FieldSource, with_source
from nebula_kernel.lookback._specs import (
    Moment,
    WorkHoursSpec,
    clock_instant,
    parse_spec,
    to_instant,
)
from nebula_kernel.lookback._sql import Sql, sql_join

if TYPE_CHECKING:
    import duckdb

__all__ = ["TimeInStateSpec", "merge_time_in_state", "time_in_state"]

_DEFAULT_WORK_HOURS = (9 * 60, 17 * 60)
_UNIT_SECONDS = {"minute": 60.0, "hour": 3600.0}
_RESULT = "timeInState"

_HEAD = (
    "WITH cal AS (SELECT unnest(?::TIMESTAMPTZ[]) AS day_start, unnest(?::DOUBLE[]) AS cum, "
    "unnest(?::TIMESTAMPTZ[]) AS ws, unnest(?::TIMESTAMPTZ[]) AS we), "
    "spans AS (SELECT eid, greatest(valid_from, ?) AS a, least(valid_to, ?) AS b FROM "
)
_IN_WINDOW = " WHERE star = ? AND valid_from < ? AND valid_to > ? AND "
# W(t) = cum + clamp(t - ws, 0, we - ws) for the calendar row holding t (c1 for a, c2 for b);
# epoch() gives seconds with microseconds.
_BODY = (
    "), started AS (SELECT s.eid, s.b, c1.cum + least(greatest(epoch(s.a) - epoch(c1.ws), 0), "
    "epoch(c1.we) - epoch(c1.ws)) AS wa FROM spans s ASOF JOIN cal c1 ON s.a >= c1.day_start), "
    "per_entity AS (SELECT w.eid, sum(c2.cum + least(greatest(epoch(w.b) - epoch(c2.ws), 0), "
    "epoch(c2.we) - epoch(c2.ws)) - w.wa) AS secs "
    "FROM started w ASOF JOIN cal c2 ON w.b >= c2.day_start GROUP BY w.eid), "
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
    "SELECT l.type, l.id, p.secs / ?"
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
    unit = _UNIT_SECONDS.get(query.granularity, (closes - opens) * 60.0)
    calendar = _calendar_rows(query.calendar(), start, end, opens, closes)

    def fetch(source: FieldSource) -> list[Any]:
        fields = [
            _last_value_sql(name, f"fields.{n}", source) for n, name in enumerate(query.fields)
        ]
        aliases = [f"x{n}" for n in range(len(fields))]
        sql = (
            Sql(_HEAD, (*calendar, start, end))
            + source.relation
            + Sql(_IN_WINDOW, (star, end, start))
            + where_sql(query.filter, "filter", source)
            + " AND "
            + where_sql(query.predicate, "predicate", source)
            + _BODY
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
    """The rows with their last field values (JSON text) decoded, all in one parse."""
    texts = [v for r in rows for v in r[3:] if v is not None]
    values = iter(loads_many(texts) if texts else ())
    return tuple((*r[:3], *(None if v is None else next(values) for v in r[3:])) for r in rows)


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


def _calendar_rows(
    calendar: WorkCalendar, start: datetime, end: datetime, opens: int, closes: int
) -> tuple[list[datetime], list[float], list[datetime], list[datetime]]:
    """Per local day from ``start``'s to ``end``'s: UTC midnight, work seconds before the day,
    and the UTC work window (empty on days off)."""
    tz = calendar.tz
    day, last = calendar.local_date(start), calendar.local_date(end)
    midnights: list[datetime] = []
    cumulative: list[float] = []
    work_starts: list[datetime] = []
    work_ends: list[datetime] = []
    total = 0.0
    while day <= last:
        midnight = clock_instant(day, 0, tz)
        work_start = clock_instant(day, opens, tz)
        work_end = clock_instant(day, closes, tz) if calendar.is_work_day(day) else work_start
        midnights.append(midnight)
        cumulative.append(total)
        work_starts.append(work_start)
        work_ends.append(work_end)
        total += (work_end - work_start).total_seconds()
        day += timedelta(days=1)
    return midnights, cumulative, work_starts, work_ends
