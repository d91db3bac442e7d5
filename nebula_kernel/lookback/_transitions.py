"""Transitions (throughput): per period, entities that crossed into a state, net of those that
crossed back out.

A snapshot enters the state when ``predicate`` holds for it but not for the version before it
(rebuilt from ``previous_values``: the value with the changed top-level fields put back), or
when it creates the entity already in the state; it exits when the reverse happens. Deleting an
entity is not an exit. Only crossings by snapshots matching ``filter`` count. ``entered``,
``exited`` and ``net = entered - exited`` are counts, or sums of ``field`` when it is given (the
new value on entry, the value before the change on exit).

Periods are the ticks of the spec: a crossing at instant ``t`` belongs to the first tick after
``t`` (so a weekend's crossings count on Monday when weekends have no tick). Periods that start
after ``now`` (default: the current time) are left out and the period holding ``now`` has
``complete = false``.

Incremental use: a period's figures depend only on the snapshots that started in it, and
history only grows at the present, so complete periods never change. Compute again with
``after`` set to the last complete tick and combine with :func:`merge_transitions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nebula_kernel.lookback._fields import number_sql
from nebula_kernel.lookback._filter import FieldPath, Filter, filter_sql, parse_filter
from nebula_kernel.lookback._metrics import where_sql
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._source import Extract, FieldSource, with_source
from nebula_kernel.lookback._specs import Moment, TicksSpec, parse_spec, to_instant
from nebula_kernel.lookback._sql import Sql, sql_join
from nebula_kernel.lookback._ticks import generate_ticks

if TYPE_CHECKING:
    import duckdb

__all__ = ["TransitionsSpec", "merge_transitions", "transitions"]

_COLUMNS = ("label", "tick", "complete", "entered", "exited", "net")
_HEAD = (
    "WITH periods AS (SELECT unnest(?::INTEGER[]) AS tick_no, unnest(?::TIMESTAMPTZ[]) AS lo, "
    "unnest(?::TIMESTAMPTZ[]) AS hi), "
    # Only a snapshot that changed a field the predicate reads, or that changed nothing (a
    # creation, or a write of the same value), can cross: the others are left out at once.
    "candidates AS (SELECT * FROM "
)
_CANDIDATES = " WHERE star = ? AND valid_from >= ? AND valid_from < ? AND ("
_MARKED = ")), marked AS (SELECT *, "
# The version before: the changed fields removed, then their old values put back (removing
# first keeps a nested object from being merged with the new one).
# On the JSON, the version before as a value: the changed fields removed, then their old values
# put back (removing first keeps a nested object from being merged with the new one). A
# projected source reads it field by field instead (FieldSource.prior).
_PRIOR_VALUE = (
    "SELECT * REPLACE (json_merge_patch(json_merge_patch(value, "
    "to_json(map_from_entries(list_transform(json_keys(previous_values), "
    "lambda k: struct_pack(k := k, v := NULL::JSON))))), previous_values) AS value) "
    "FROM marked"
)
_STEPS = "), steps AS (SELECT valid_from, inside, in_scope, x_now, "
# The earlier snapshots that can end where one of the window starts: in the window too.
_EARLIER = " AND e.valid_to >= ? AND e.valid_to < ?"
# The periods are consecutive, so each crossing's is the last one starting at or before it
# (an ASOF join: a range join would compare every crossing with every period).
_STEPS_TAIL = (
    " FROM prior) "
    "SELECT p.tick_no, "
    "coalesce(sum(CASE WHEN s.inside THEN s.x_now END), 0), "
    "coalesce(sum(CASE WHEN s.was THEN s.x_before END), 0) "
    "FROM steps s ASOF JOIN periods p ON s.valid_from >= p.lo "
    "WHERE s.valid_from < p.hi AND s.in_scope AND s.inside <> s.was GROUP BY p.tick_no"
)


class TransitionsSpec(TicksSpec):
    """A transitions query; see the module docstring."""

    filter: dict[str, Any] | None = None
    predicate: dict[str, Any]
    field: str | None = None
    now: Moment | None = None
    after: Moment | None = None


def transitions(
    con: duckdb.DuckDBPyConnection, star: str, spec: Mapping[str, Any] | TransitionsSpec
) -> ResultTable:
    """One row per period of ``spec``: ``label, tick, complete, entered, exited, net``."""
    query = parse_spec(TransitionsSpec, spec, "transitions")
    now = datetime.now(UTC) if query.now is None else to_instant(query.now, query.zone)
    after = None if query.after is None else to_instant(query.after, query.zone)
    all_ticks = generate_ticks(query.tick_range())
    # A period runs from the previous tick (the first from its own start) to its tick.
    starts = [all_ticks[n - 1].at if n else tick.start for n, tick in enumerate(all_ticks)]
    periods = [
        (n, tick, starts[n])
        for n, tick in enumerate(all_ticks)
        if (after is None or tick.at > after) and starts[n] <= now
    ]
    if not periods:
        return ResultTable(_COLUMNS, ())
    predicate = parse_filter(query.predicate, location="predicate")
    window = (periods[0][2], periods[-1][1].at)

    def fetch(source: FieldSource) -> list[Any]:
        before = source.prior()
        sql = (
            Sql(  # noqa: S608 - constant fragments and ? values
                _HEAD,
                (
                    [n for n, _, _ in periods],
                    [lo for _, _, lo in periods],
                    [t.at for _, t, _ in periods],
                ),
            )
            + source.relation
            + Sql(_CANDIDATES, (star, *window))
            + source.changed_nothing_sql
            + " OR "
            + _changes_any(predicate, source)
            + _MARKED
            + _holds(predicate, source)
            + " AS inside, "
            + where_sql(query.filter, "filter", source)
            + " AS in_scope, "
            + _amount(query.field, source)
            + " AS x_now FROM candidates), prior AS ("
            + (_PRIOR_VALUE if source.has_documents else "SELECT * FROM marked")
            + _STEPS
            + source.has_prior_sql("prior", Sql(_EARLIER, window))
            + " AND "
            + _holds(predicate, before)
            + " AS was, "
            + _amount(query.field, before)
            + " AS x_before"
            + _STEPS_TAIL
        )
        return con.execute(sql.text, sql.params).fetchall()

    figures = {n: (entered, exited) for n, entered, exited in with_source(con, star, fetch)}
    rows = []
    for n, tick, _ in periods:
        entered, exited = (_plain(v, query.field) for v in figures.get(n, (0.0, 0.0)))
        rows.append((tick.label, tick.at, tick.at <= now, entered, exited, entered - exited))
    return ResultTable(_COLUMNS, tuple(rows))


def merge_transitions(older: ResultTable, newer: ResultTable) -> ResultTable:
    """The complete periods of ``older`` before ``newer`` starts, then ``newer``."""
    first_new = newer.rows[0][1] if newer.rows else None
    kept = tuple(r for r in older.rows if r[2] and (first_new is None or r[1] < first_new))
    return ResultTable(_COLUMNS, kept + newer.rows)


def _holds(predicate: Filter, source: FieldSource) -> Sql:
    text, params = filter_sql(predicate, source)
    return Sql("(" + text + ")", tuple(params))


def _amount(field: str | None, source: FieldSource) -> Sql:
    return Sql("1.0") if field is None else number_sql(field, "field", source)


def _changes_any(predicate: Filter, source: FieldSource) -> Sql:
    """Whether a snapshot changed a top-level field the predicate reads (TRUE when it reads
    meta fields or previous values, whose change previous_values does not record)."""
    if any(p.meta is not None or p.json_column != "value" for p in predicate.paths):
        return Sql("TRUE")
    keys = sorted({str(p.segments[0]) for p in predicate.paths if p.segments})
    if not keys:
        return Sql("FALSE")
    changed = [FieldPath(key, json_column="previous_values", segments=(key,)) for key in keys]
    tests = [source.read(path, Extract.TYPE) + " IS NOT NULL" for path in changed]
    return sql_join(" OR ", tests).wrap("(", ")")


def _plain(amount: float, field: str | None) -> float | int:
    """Counts as integers; sums as they are."""
    return int(amount) if field is None else amount
