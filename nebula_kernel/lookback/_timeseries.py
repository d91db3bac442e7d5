"""Time series: metrics of the snapshots valid at each tick (burn charts, cumulative flow).

The state at a tick is every snapshot with ``valid_from <= tick < valid_to`` (optionally
filtered). DuckDB pre-filters the snapshots to the ticks' span, extracts each JSON field once
per snapshot, finds the range of ticks each snapshot is valid at (two ASOF joins), expands it and
aggregates per tick (and per group value); the summary over the series and the fields derived
after it are computed in Python over the per-tick rows.

Incremental use: a tick's values depend only on the snapshots valid at that instant, and
history only grows at the present (a write closes the current snapshot at the write time), so
ticks before the latest write keep their values. Compute the new ticks with ``after`` set to the
last tick already held and combine with :func:`merge_time_series`, which recomputes the summary
and the fields derived after it over the merged rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._arith import evaluate, expression_names
from nebula_kernel.lookback._fields import text_sql
from nebula_kernel.lookback._metrics import MetricPlan, plan_metrics, where_sql
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._source import FieldSource, with_source
from nebula_kernel.lookback._specs import (
    DerivedSpec,
    MetricSpec,
    Moment,
    OutputName,
    QuerySpec,
    TicksSpec,
    parse_spec,
    to_instant,
)
from nebula_kernel.lookback._sql import Sql, sql_join
from nebula_kernel.lookback._ticks import Tick, generate_ticks

if TYPE_CHECKING:
    import duckdb

__all__ = ["TimeSeries", "TimeSeriesSpec", "merge_time_series", "time_series"]

GroupValue = str | bool | int | float


class GroupBySpec(QuerySpec):
    """One series per named value of ``field`` (others are left out)."""

    field: str
    values: list[GroupValue] = Field(min_length=1, max_length=500)


class SummarySpec(QuerySpec):
    """``f`` over the per-tick values of the output column ``metric``, named ``as``."""

    as_: OutputName = Field(alias="as")
    f: Literal["min", "max", "sum", "avg", "first", "last"]
    metric: str


class TimeSeriesSpec(TicksSpec):
    """A time series query; see the module docstring."""

    filter: dict[str, Any] | None = None
    derived: list[DerivedSpec] = Field(default_factory=list, max_length=50)
    metrics: list[MetricSpec] = Field(min_length=1, max_length=50)
    group_by: GroupBySpec | None = None
    summary: list[SummarySpec] = Field(default_factory=list, max_length=50)
    after_summary: list[DerivedSpec] = Field(default_factory=list, max_length=50)
    after: Moment | None = None


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """One row per tick (``label``, ``tick``, metrics, series, after-summary fields) and the
    summary metrics."""

    table: ResultTable
    summary: Mapping[str, float | None]


_SPECIALS = ("tickIndex", "tickCount")
_HEAD = (
    "WITH ticks AS (SELECT unnest(?::INTEGER[]) AS tick_no, unnest(?::TIMESTAMPTZ[]) AS at), "
    "rows AS (SELECT valid_from, valid_to"
)
_WHERE_IN_SPAN = " WHERE star = ? AND valid_from <= ? AND valid_to > ? AND "
# A snapshot is in the state of ticks lo <= n < hi: lo is the first tick at or after valid_from,
# hi the first at or after valid_to (valid_from <= tick < valid_to). Two ASOF joins find them
# in one sort each, far cheaper than testing every (snapshot, tick) pair of a range join.
_SPANS = (
    "), first_tick AS (SELECT r.*, t.tick_no AS lo FROM rows r "
    "ASOF JOIN ticks t ON t.at >= r.valid_from), "
    "spans AS (SELECT f.*, coalesce(t.tick_no, ?) AS hi FROM first_tick f "
    "ASOF LEFT JOIN ticks t ON t.at >= f.valid_to), "
    "expanded AS (SELECT unnest(range(lo, hi)) AS tick_no, grp, * EXCLUDE (lo, hi, grp) FROM spans)"
)
_FROM_EXPANDED = " FROM expanded r"


def time_series(
    con: duckdb.DuckDBPyConnection, star: str, spec: Mapping[str, Any] | TimeSeriesSpec
) -> TimeSeries:
    """The metrics of ``spec`` at each of its ticks, over the snapshots of ``star``."""
    query = parse_spec(TimeSeriesSpec, spec, "time series")
    plans, _ = plan_metrics(query.metrics, query.derived)
    ticks = generate_ticks(query.tick_range())
    if query.after is not None:
        after = to_instant(query.after, query.zone)
        ticks = tuple(t for t in ticks if t.at > after)
    _check_after_summary(query, plans)
    values: dict[int, dict[str, Any]] = {n: {} for n in range(len(ticks))}
    if ticks:

        def fetch(source: FieldSource) -> list[Any]:
            _, row_columns = plan_metrics(query.metrics, query.derived, source)
            sql = _query_sql(query, plans, row_columns.select_sql(), star, ticks, source)
            return con.execute(sql.text, sql.params).fetchall()

        labels = _group_labels(query)
        for tick_no, group, is_total, *metric_values in with_source(con, star, fetch):
            suffix = "" if is_total else ":" + labels[group]
            for plan, value in zip(plans, metric_values, strict=True):
                values[tick_no][plan.name + suffix] = value
    columns = _metric_columns(query, plans)
    rows = []
    for n, tick in enumerate(ticks):
        row: dict[str, Any] = {"label": tick.label, "tick": tick.at}
        for name, plan in columns:
            row[name] = values[n].get(name, plan.empty_value)
        rows.append(row)
    return _finish(query, ["label", "tick", *(name for name, _ in columns)], rows)


def merge_time_series(
    spec: Mapping[str, Any] | TimeSeriesSpec, older: TimeSeries, newer: TimeSeries
) -> TimeSeries:
    """``older`` up to the first tick of ``newer``, then ``newer``; summaries recomputed."""
    query = parse_spec(TimeSeriesSpec, spec, "time series")
    derived_later = {d.as_ for d in query.after_summary}
    columns = [c for c in older.table.columns if c not in derived_later]
    first_new = newer.table.rows[0][1] if newer.table.rows else None
    kept = [r for r in older.table.records() if first_new is None or r["tick"] < first_new]
    return _finish(query, columns, kept + newer.table.records())


def _query_sql(
    query: TimeSeriesSpec,
    plans: Sequence[MetricPlan],
    row_select: Sql,
    star: str,
    ticks: Sequence[Tick],
    source: FieldSource,
) -> Sql:
    head = Sql(_HEAD, (list(range(len(ticks))), [t.at for t in ticks]))
    group_by = query.group_by
    group_column = (
        Sql("NULL") if group_by is None else text_sql(group_by.field, "groupBy.field", source)
    )
    rows_cte = (
        head
        + ", "
        + group_column
        + " AS grp"
        + ("" if not row_select.text else ", ")
        + row_select
        + " FROM "
        + source.relation
        + Sql(_WHERE_IN_SPAN, (star, ticks[-1].at, ticks[0].at))
        + where_sql(query.filter, "filter", source)
        + Sql(_SPANS, (len(ticks),))
    )
    aggregates = sql_join(", ", [p.aggregate_sql("r.") for p in plans])
    if group_by is None:
        return (
            rows_cte + " SELECT r.tick_no, NULL, 1, " + aggregates + _FROM_EXPANDED + " GROUP BY 1"
        )
    keys = list(_group_labels(query))
    return (
        rows_cte
        + " SELECT r.tick_no, r.grp, GROUPING(r.grp), "
        + aggregates
        + _FROM_EXPANDED
        + " GROUP BY GROUPING SETS ((r.tick_no), (r.tick_no, r.grp))"
        + Sql(
            " HAVING GROUPING(r.grp) = 1 OR r.grp IN (" + ", ".join("?" * len(keys)) + ")",
            tuple(keys),
        )
    )


def _group_labels(query: TimeSeriesSpec) -> dict[str, str]:
    """The text DuckDB reads for each named group value, and the label of its series."""
    if query.group_by is None:
        return {}
    return {_json_text(v): str(v) for v in query.group_by.values}


def _json_text(value: GroupValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _metric_columns(
    query: TimeSeriesSpec, plans: Sequence[MetricPlan]
) -> list[tuple[str, MetricPlan]]:
    columns = [(p.name, p) for p in plans]
    for label in _group_labels(query).values():
        columns.extend((p.name + ":" + label, p) for p in plans)
    return columns


def _check_after_summary(query: TimeSeriesSpec, plans: Sequence[MetricPlan]) -> None:
    """Summary and afterSummary names are new; afterSummary reads only names defined before."""
    known = {p.name for p in plans} | set(_SPECIALS)
    for index, item in enumerate(query.summary):
        _check_new(item.as_, known, f"summary.{index}.as")
    for index, field in enumerate(query.after_summary):
        unknown = sorted(expression_names(field.expression) - known)
        if unknown:
            location = f"afterSummary.{index}.f"
            raise InvalidQuery(
                f"{location}: unknown name {unknown[0]!r:.60}; use metrics, summary metrics, "
                "earlier afterSummary fields, tickIndex or tickCount",
                path=location,
            )
        _check_new(field.as_, known, f"afterSummary.{index}.as")


def _check_new(name: str, known: set[str], location: str) -> None:
    if name in known:
        raise InvalidQuery(
            f"{location}: {name!r:.60} is already used; give each output its own name",
            path=location,
        )
    known.add(name)


def _finish(query: TimeSeriesSpec, columns: list[str], rows: list[dict[str, Any]]) -> TimeSeries:
    summary: dict[str, float | None] = {}
    for index, item in enumerate(query.summary):
        if item.metric not in columns[2:]:
            location = f"summary.{index}.metric"
            raise InvalidQuery(
                f"{location}: no output column {item.metric!r:.60}; use one of "
                f"{', '.join(columns[2:])[:300]}",
                path=location,
            )
        summary[item.as_] = _summarize(item.f, [r[item.metric] for r in rows])
    for row_index, row in enumerate(rows):
        env = {**summary, **row, "tickIndex": row_index, "tickCount": len(rows)}
        for field in query.after_summary:
            env[field.as_] = row[field.as_] = evaluate(field.expression, env)
    all_columns = columns + [d.as_ for d in query.after_summary]
    return TimeSeries(ResultTable.from_records(all_columns, rows), summary)


def _summarize(function: str, values: list[Any]) -> float | None:
    if function == "first":
        return values[0] if values else None
    if function == "last":
        return values[-1] if values else None
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    if function == "min":
        return min(present)
    if function == "max":
        return max(present)
    total = sum(present)
    return total if function == "sum" else total / len(present)
