"""OLAP cube: metrics grouped by several dimensions, with totals, over the snapshots valid at an
instant (``__At``: ``"current"`` by default, or an ISO 8601 instant).

``totals`` chooses the grouping sets: ``"cube"`` (every combination of dimensions rolled up),
``"rollup"`` (totals of the trailing dimensions, as a drill-down) or ``"none"``. A row's
``_Totals`` lists the dimensions it is a total over (their value is then null). A dimension with
``"hierarchy": "path"`` holds a materialized path such as ``/acme/eng/platform/``: each row
counts under every ancestor (``/``, ``/acme/``, ``/acme/eng/``, ``/acme/eng/platform/``), and
since ``/`` is already its total, such a dimension is never rolled up itself.

Incremental use: the cube depends only on the snapshots valid at ``__At``, found by their valid
time, so its cost follows the size of that state, not of the history. Count and sum cells at a
later instant are the earlier cells plus the cube of the snapshots that became valid since, minus
the cube of those that stopped being valid: both are this same query with a ``filter`` on
``_ValidFrom`` / ``_ValidTo``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from nebula_kernel.lookback._fields import text_sql
from nebula_kernel.lookback._metrics import MetricPlan, plan_metrics, where_sql
from nebula_kernel.lookback._paths import parse_timestamp
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._source import FieldSource, with_source
from nebula_kernel.lookback._specs import (
    DerivedSpec,
    MetricSpec,
    QuerySpec,
    output_names_unique,
    parse_spec,
)
from nebula_kernel.lookback._sql import Sql, sql_join
from nebula_kernel.resources._model import CURRENT_VALID_TO

if TYPE_CHECKING:
    import duckdb

__all__ = ["CubeSpec", "cube"]

_TOTALS = "_Totals"
_WHERE_STAR = " WHERE star = ? AND "
# Every ancestor of a materialized path p, root first; a null path stays one null cell.
_ANCESTORS = (
    "CASE WHEN {p} IS NULL THEN [NULL] ELSE list_prepend('/', list_transform("
    "range(1, len(string_split(trim({p}, '/'), '/')) + 1), "
    "lambda i: '/' || array_to_string(string_split(trim({p}, '/'), '/')[1:i], '/') || '/')) END"
)
# Stage {dst} is stage {src} with its path column {d} replaced by each of the path's ancestors.
_EXPAND = "{dst} AS (SELECT * REPLACE (unnest({ancestors}) AS {d}) FROM {src})"
# Each row once per grouping set (parameter: the sets, each as the GROUPING() bits of the
# dimensions it totals); the cells group them.
_SETS = " FROM (SELECT *, unnest(?::INTEGER[]) AS totalled FROM {cells}) GROUP BY ALL ORDER BY "


class DimensionSpec(QuerySpec):
    """A field to group by; ``hierarchy: "path"`` rolls a materialized path up to its ancestors."""

    field: str
    hierarchy: Literal["path"] | None = None


class CubeSpec(QuerySpec):
    """A cube query; see the module docstring."""

    at: str = Field(default="current", alias="__At")
    filter: dict[str, Any] | None = None
    dimensions: list[DimensionSpec] = Field(min_length=1, max_length=6)
    derived: list[DerivedSpec] = Field(default_factory=list, max_length=50)
    metrics: list[MetricSpec] = Field(min_length=1, max_length=50)
    totals: Literal["cube", "rollup", "none"] = "cube"


def cube(
    con: duckdb.DuckDBPyConnection, star: str, spec: Mapping[str, Any] | CubeSpec
) -> ResultTable:
    """The cells of ``spec`` over ``star``: dimension values, ``_Totals``, then metrics."""
    query = parse_spec(CubeSpec, spec, "cube")
    names = [d.field for d in query.dimensions]
    output_names_unique(names, "dimensions")
    plans, _ = plan_metrics(query.metrics, query.derived)
    masks = _grouping_sets(
        len(names), [d.hierarchy is not None for d in query.dimensions], query.totals
    )

    def fetch(source: FieldSource) -> list[Any]:
        sql = _cube_sql(query, star, source, masks)
        return con.execute(sql.text, sql.params).fetchall()

    cells = with_source(con, star, fetch)
    return ResultTable(
        (*names, _TOTALS, *(p.name for p in plans)), _rows(names, masks, plans, cells)
    )


def _rows(
    names: Sequence[str], masks: Sequence[int], plans: Sequence[MetricPlan], cells: list[Any]
) -> tuple[tuple[Any, ...], ...]:
    """The result rows: each cell with the names of the dimensions it totals in place of its
    grouping bits; and the grand total over no rows, which exists as with GROUP BY ()."""
    width = len(names)
    grand_total = (1 << width) - 1
    if not cells and grand_total in masks:
        cells = [(*(None for _ in names), grand_total, *_over_no_rows(plans))]
    totalled = {m: [n for i, n in enumerate(names) if m >> (width - 1 - i) & 1] for m in masks}
    return tuple((*c[:width], [*totalled[c[width]]], *c[width + 1 :]) for c in cells)


def _over_no_rows(plans: Sequence[MetricPlan]) -> tuple[float | None, ...]:
    """The metrics over no rows, as the SQL gives them: count 0, sum 0.0 (a DOUBLE), else null."""
    return tuple(
        0 if p.function == "count" else 0.0 if p.function == "sum" else None for p in plans
    )


def _cube_sql(query: CubeSpec, star: str, source: FieldSource, masks: Sequence[int]) -> Sql:
    """The leaf cells are aggregated once (``leaves``), each metric as its exported aggregate
    state, each path expanded to its ancestors; then every cell of every grouping set combines
    the states of its leaves: a leaf row is repeated for each of the grouping sets ``masks``
    (``totalled``), with the dimensions it totals nulled."""
    plans, row_columns = plan_metrics(query.metrics, query.derived, source)
    dims = [
        text_sql(d.field, f"dimensions.{n}.field", source) for n, d in enumerate(query.dimensions)
    ]
    aliases = [f"d{n}" for n in range(len(dims))]
    row_select = sql_join(", ", [d + " AS " + a for d, a in zip(dims, aliases, strict=True)])
    if row_columns.items:
        row_select = row_select + ", " + row_columns.select_sql()
    states = [f"m{i}" for i in range(len(plans))]
    columns = ", ".join(aliases)
    ctes = [
        Sql("WITH stage0 AS (SELECT ")  # noqa: S608 - constant fragments and ? values
        + row_select
        + " FROM "
        + source.rows(current=query.at == "current")
        + Sql(_WHERE_STAR, (star,))
        + _valid_at(query.at)
        + " AND "
        + where_sql(query.filter, "filter", source)
        + "), leaves AS (SELECT "
        + columns
        + ", "
        + sql_join(", ", [p.state_sql() + " AS " + m for p, m in zip(plans, states, strict=True)])
        + " FROM stage0 GROUP BY "
        + columns
        + ")"
    ]
    cells = "leaves"
    for alias, dimension in zip(aliases, query.dimensions, strict=True):
        if dimension.hierarchy == "path":
            src, cells = cells, f"up_{alias}"
            ancestors = _ANCESTORS.format(p=alias)
            ctes.append(Sql(_EXPAND.format(d=alias, ancestors=ancestors, src=src, dst=cells)))
    cell_dims = [
        f"CASE WHEN totalled & {1 << (len(aliases) - 1 - i)} = 0 THEN {a} END AS {a}"
        for i, a in enumerate(aliases)
    ]
    return (
        sql_join(", ", ctes)
        + " SELECT "
        + ", ".join(cell_dims)
        + ", totalled, "
        + sql_join(", ", [p.merged_sql(m) for p, m in zip(plans, states, strict=True)])
        + Sql(_SETS.format(cells=cells), (list(masks),))
        + "totalled, "
        + ", ".join(a + " NULLS FIRST" for a in aliases)
    )


def _valid_at(at: str) -> Sql:
    if at == "current":
        return Sql("valid_to = ?", (CURRENT_VALID_TO,))
    instant = parse_timestamp(at, "__At")
    return Sql("valid_from <= ? AND valid_to > ?", (instant, instant))


def _grouping_sets(dimensions: int, hierarchical: Sequence[bool], totals: str) -> list[int]:
    """The grouping sets for ``totals``, each as the ``GROUPING()`` bits of the dimensions it
    totals (the first dimension is the highest bit); hierarchical dimensions are never
    totalled."""
    free = [1 << (dimensions - 1 - i) for i, h in enumerate(hierarchical) if not h]
    if totals == "none":
        chosen: list[Sequence[int]] = [()]
    elif totals == "rollup":
        chosen = [free[n:] for n in range(len(free), -1, -1)]
    else:
        chosen = [c for n in range(len(free) + 1) for c in combinations(free, n)]
    return [sum(bits) for bits in chosen]
