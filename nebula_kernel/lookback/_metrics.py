"""Metrics shared by the time series and the cube: inputs per snapshot, aggregates in SQL.

A metric reads a numeric input (a field, or a field derived per snapshot by ``derived``) and
optionally a filter flag; :class:`MetricPlan` holds the SQL of both so the caller can select
them once per row and aggregate the named columns. ``pNN`` and ``median`` use DuckDB's
``quantile_cont``: linear interpolation between the closest ranks, which is Excel's
PERCENTILE.INC. A metric over several groups (the cube's cells) combines the aggregate states
exported per group (``EXPORT_STATE``, ``combine_aggr``), so it is exact for every function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._arith import expression_sql
from nebula_kernel.lookback._fields import number_sql
from nebula_kernel.lookback._filter import filter_sql, parse_filter
from nebula_kernel.lookback._source import JSON_SOURCE, FieldSource
from nebula_kernel.lookback._specs import DerivedSpec, MetricSpec, output_names_unique
from nebula_kernel.lookback._sql import Sql, sql_join

__all__ = ["MetricPlan", "RowColumns", "plan_metrics", "where_sql"]

_SIMPLE = {"sum": "sum", "min": "min", "max": "max", "avg": "avg", "average": "avg"}


@dataclass(frozen=True, slots=True)
class MetricPlan:
    """One metric: its output name, aggregate function and the row columns it reads."""

    name: str
    function: str
    input_column: str | None
    flag_column: str | None

    @property
    def empty_value(self) -> float | None:
        """The value over no rows: 0 for count and sum (in SQL too), null otherwise."""
        return 0 if self.function in ("count", "sum") else None

    def aggregate_sql(self, qualifier: str) -> Sql:
        """The aggregate over the rows of ``qualifier`` (a fixed table alias)."""
        call = self._call_sql(qualifier)
        return call.wrap("coalesce(", ", 0)") if self.function == "sum" else call

    def state_sql(self) -> Sql:
        """The aggregate over the rows of a group, as its exported state: :meth:`merged_sql`
        combines the states of several groups."""
        return self._call_sql("") + " EXPORT_STATE"

    def merged_sql(self, state: str) -> Sql:
        """The metric over several groups from their :meth:`state_sql` column ``state``. DuckDB
        combines the states as it does those of its own threads, so this is what
        :meth:`aggregate_sql` gives over all their rows, quantiles included."""
        merged = Sql("finalize(combine_aggr(" + state + "))")
        return merged.wrap("coalesce(", ", 0)") if self.function == "sum" else merged

    def _call_sql(self, qualifier: str) -> Sql:
        """The aggregate call with its filter, over columns prefixed by ``qualifier``."""
        column = None if self.input_column is None else qualifier + self.input_column
        if self.function == "count":
            call = Sql("count(*)" if column is None else "count(" + column + ")")
        elif self.function in _SIMPLE:
            call = Sql(_SIMPLE[self.function] + "(" + str(column) + ")")
        else:
            call = Sql("quantile_cont(" + str(column) + ", ?::DOUBLE)", (self._fraction,))
        if self.flag_column is not None:
            call = call + " FILTER (WHERE " + qualifier + self.flag_column + ")"
        return call

    @property
    def _fraction(self) -> float:
        """The fraction of a quantile metric (``median`` or ``pNN``)."""
        return 0.5 if self.function == "median" else float(self.function[1:]) / 100


@dataclass(frozen=True, slots=True)
class RowColumns:
    """Per-snapshot columns to select before aggregating: SQL and the alias of each, once."""

    items: tuple[tuple[Sql, str], ...] = ()

    def select_sql(self) -> Sql:
        return sql_join(", ", [expr + " AS " + alias for expr, alias in self.items])


def where_sql(
    doc: Mapping[str, object] | None, location: str, source: FieldSource = JSON_SOURCE
) -> Sql:
    """The boolean SQL of an optional filter (TRUE when absent)."""
    if doc is None:
        return Sql("TRUE")
    text, params = filter_sql(parse_filter(doc, location=location), source)
    return Sql("(" + text + ")", tuple(params))


def plan_metrics(
    metrics: Sequence[MetricSpec],
    derived: Sequence[DerivedSpec],
    source: FieldSource = JSON_SOURCE,
) -> tuple[tuple[MetricPlan, ...], RowColumns]:
    """Plans for ``metrics`` and the row columns they read, each selected once."""
    output_names_unique([m.as_ for m in metrics], "metrics")
    output_names_unique([d.as_ for d in derived], "derived")
    derived_sql: dict[str, Sql] = {}
    for index, field in enumerate(derived):
        location = f"derived.{index}.f"

        def operand(name: str, location: str = location) -> Sql:
            return derived_sql.get(name) or number_sql(name, location, source)

        derived_sql[field.as_] = expression_sql(field.expression, operand)
    columns: dict[Sql, str] = {}

    def column_for(expr: Sql) -> str:
        return columns.setdefault(expr, f"c{len(columns)}")

    plans = []
    for index, metric in enumerate(metrics):
        location = f"metrics.{index}"
        if metric.field is None and metric.f != "count":
            raise InvalidQuery(
                f"{location}.field: metric {metric.f} needs a field to aggregate",
                path=f"{location}.field",
            )
        input_column = None
        if metric.field is not None:
            input_sql = derived_sql.get(metric.field) or number_sql(
                metric.field, f"{location}.field", source
            )
            input_column = column_for(input_sql)
        flag_column = None
        if metric.filter is not None:
            flag_column = column_for(where_sql(metric.filter, f"{location}.filter", source))
        plans.append(MetricPlan(metric.as_, metric.f, input_column, flag_column))
    return tuple(plans), RowColumns(tuple((expr, alias) for expr, alias in columns.items()))
