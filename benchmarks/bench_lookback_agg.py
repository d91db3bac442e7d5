"""Lookback aggregations on the shared dataset, each beside the same computation in pandas.

The pandas rows are what a user would otherwise write, given the history already loaded from
Parquet with the value's fields as typed columns: a loop over the ticks for the time series,
the same work-calendar arithmetic vectorized with numpy for time in state, one ``groupby`` per
grouping set for the cube, and shifted columns for transitions. Before timing, each suite checks
that both sides compute the same figures.

Timed for Nebula: the whole call on a read-only connection (parsing the spec, checking that the
Lookback projection is current, the query, building the result table). Not timed: building the
projection, done once with the dataset as the first query on a writable store would. Timed for
pandas: the computation on the frame in memory. Not timed: loading the Parquet file (its cost,
with the JSON flattening the export spares pandas, is the last row, once).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import combinations
from typing import TYPE_CHECKING, Any

from benchmarks._lookback_data import lookback_dataset
from benchmarks._runner import Row, Suite
from nebula_kernel.lookback import (
    ResultTable,
    cube,
    ticks,
    time_in_state,
    time_series,
    transitions,
)
from nebula_kernel.lookback._calendar import WorkCalendar
from nebula_kernel.lookback._specs import CalendarSpec, clock_instant

if TYPE_CHECKING:
    import duckdb
    import pandas

__all__ = ["run"]

TZ = "America/Chicago"
HOLIDAYS = [{"month": 1, "day": 1}, {"month": 7, "day": 4}, {"month": 12, "day": 25}]
WINDOW = {"tz": TZ, "start": "2025-01-01", "end": "2026-01-01", "holidays": HOLIDAYS}
TIME_SERIES = {
    **WINDOW,
    "granularity": "day",
    "metrics": [
        {"as": "count", "f": "count"},
        {"as": "points", "f": "sum", "field": "Points"},
        {"as": "mean", "f": "avg", "field": "Points"},
        {"as": "p90", "f": "p90", "field": "Points"},
        {"as": "donePoints", "f": "sum", "field": "Points", "filter": {"State": "Done"}},
    ],
}
TIME_IN_STATE = {
    **WINDOW,
    "granularity": "hour",
    "predicate": {"State": "In Progress"},
    "fields": ["State", "Points"],
}
CUBE = {
    "dimensions": [
        {"field": "Org", "hierarchy": "path"},
        {"field": "Priority"},
        {"field": "State"},
    ],
    "metrics": [
        {"as": "count", "f": "count"},
        {"as": "points", "f": "sum", "field": "Points"},
        {"as": "p50", "f": "median", "field": "Points"},
    ],
}
TRANSITIONS = {
    **WINDOW,
    "granularity": "day",
    "predicate": {"State": "Done"},
    "field": "Points",
    "now": "2026-01-01T00:00:00Z",
}
CURRENT = datetime(9999, 1, 1, tzinfo=UTC)


def run(suite: Suite) -> None:
    import pandas

    data = lookback_dataset(quick=suite.quick)
    frame = pandas.read_parquet(
        data.parquet_path,
        columns=["id", "valid_from", "valid_to", "State", "Points", "Priority", "Org"],
    )
    repeat, warmup = (3, 1) if suite.quick else (7, 1)
    with data.connect() as con:
        cases = [
            ("time series: day x 1 year, 5 metrics", _time_series_pair(con, data.star, frame)),
            ("time in state: all entities, 1 year", _time_in_state_pair(con, data.star, frame)),
            ("cube: org path x priority x state", _cube_pair(con, data.star, frame)),
            ("transitions into Done: day x 1 year", _transitions_pair(con, data.star, frame)),
        ]
        for name, (ours, theirs) in cases:
            baseline = "pandas " + name
            suite.measure(baseline, theirs, repeat=repeat, warmup=warmup)
            suite.measure(
                name,
                ours,
                repeat=repeat,
                warmup=warmup,
                baseline=baseline,
                target="<1 s, >=5x pandas",
                check=None if suite.quick else _target_check(suite, baseline),
                note=f"{data.snapshots:,} snapshots",
            )
    # Last: its million short-lived objects slow down whatever runs after it in this process.
    suite.measure(
        "pandas load Parquet + flatten value JSON",
        lambda: _load_and_flatten(data.parquet_path),
        repeat=1,
        warmup=0,
        note="once per session; the pandas baselines start after it",
    )


def _load_and_flatten(path: Any) -> pandas.DataFrame:
    """What the baselines skip: the stored rows' JSON values turned into columns."""
    import json

    import pandas

    rows = pandas.read_parquet(path, columns=["id", "valid_from", "valid_to", "value"])
    fields = pandas.DataFrame.from_records([json.loads(v) for v in rows.value])
    return pandas.concat([rows.drop(columns="value"), fields], axis=1)


def _target_check(suite: Suite, baseline: str) -> Callable[[Row], bool]:
    """Under a second, and at least five times faster than the baseline row."""

    def check(row: Row) -> bool:
        base = suite.find(baseline)
        return row.per_op_s < 1.0 and base is not None and base.per_op_s >= 5 * row.per_op_s

    return check


# -- time series ------------------------------------------------------------------------------


def _time_series_pair(
    con: duckdb.DuckDBPyConnection, star: str, frame: pandas.DataFrame
) -> tuple[Any, Any]:
    tick_list = [t.at for t in ticks({k: v for k, v in TIME_SERIES.items() if k != "metrics"})]

    def ours() -> ResultTable:
        return time_series(con, star, TIME_SERIES).table

    def theirs() -> list[tuple[Any, ...]]:
        import pandas

        # Only the rows that overlap the ticks, as anyone would first do.
        first, last = pandas.Timestamp(tick_list[0]), pandas.Timestamp(tick_list[-1])
        rows = frame[(frame.valid_from <= last) & (frame.valid_to > first)]
        out = []
        for tick in tick_list:
            at = pandas.Timestamp(tick)
            state = rows[(rows.valid_from <= at) & (rows.valid_to > at)]
            points = state.Points
            out.append(
                (
                    len(state),
                    float(points.sum()),
                    float(points.mean()),
                    float(points.quantile(0.9)),
                    float(points[state.State == "Done"].sum()),
                )
            )
        return out

    expected = theirs()
    got = [row[2:] for row in ours().rows]
    _same(got, expected, "time series")
    return ours, theirs


# -- time in state ----------------------------------------------------------------------------


def _time_in_state_pair(
    con: duckdb.DuckDBPyConnection, star: str, frame: pandas.DataFrame
) -> tuple[Any, Any]:
    import numpy
    import pandas

    spec = CalendarSpec.model_validate({k: WINDOW[k] for k in ("tz", "holidays")})
    calendar = spec.calendar()
    start = clock_instant(datetime(2025, 1, 1).date(), 0, calendar.tz)
    end = clock_instant(datetime(2026, 1, 1).date(), 0, calendar.tz)
    days = _work_days(calendar, start, end)

    def ours() -> ResultTable:
        return time_in_state(con, star, TIME_IN_STATE)

    def theirs() -> pandas.DataFrame:
        begin, finish = pandas.Timestamp(start), pandas.Timestamp(end)
        spans = frame[
            (frame.State == "In Progress") & (frame.valid_from < finish) & (frame.valid_to > begin)
        ]
        a = spans.valid_from.to_numpy(dtype="datetime64[us]")
        b = spans.valid_to.to_numpy(dtype="datetime64[us]")
        a = numpy.maximum(a, begin.tz_convert(None).to_datetime64())
        b = numpy.minimum(b, finish.tz_convert(None).to_datetime64())
        worked = _work_seconds(days, b) - _work_seconds(days, a)
        per_entity = (
            pandas.Series(worked / 3600.0, index=spans.id.to_numpy()).groupby(level=0).sum()
        )
        ids = per_entity.index
        latest = frame[frame.id.isin(ids) & (frame.valid_from < finish)]
        latest = latest.sort_values("valid_from").groupby("id").last()
        return pandas.DataFrame(
            {
                "timeInState": per_entity,
                "State": latest.State.loc[ids],
                "Points": latest.Points.loc[ids],
            }
        )

    expected = theirs()
    got = sorted(ours().records(), key=lambda r: str(r["_Id"]))
    assert [r["_Id"] for r in got] == list(expected.index), "time in state: entities differ"
    assert numpy.allclose([r["timeInState"] for r in got], expected.timeInState.to_numpy())
    assert [r["State"] for r in got] == list(expected.State)
    return ours, theirs


def _work_days(calendar: WorkCalendar, start: datetime, end: datetime) -> dict[str, Any]:
    """Per local day: UTC midnight, work window and work seconds before it (numpy arrays)."""
    import numpy

    midnights, windows = [], []
    day = calendar.local_date(start)
    while clock_instant(day, 0, calendar.tz) < end:
        opens = clock_instant(day, 9 * 60, calendar.tz)
        closes = clock_instant(day, 17 * 60, calendar.tz) if calendar.is_work_day(day) else opens
        midnights.append(clock_instant(day, 0, calendar.tz))
        windows.append((opens, closes))
        day = day.fromordinal(day.toordinal() + 1)

    def stamps(values: list[datetime]) -> Any:
        return numpy.array([v.replace(tzinfo=None) for v in values], dtype="datetime64[us]")

    opens_at = stamps([w[0] for w in windows])
    closes_at = stamps([w[1] for w in windows])
    lengths = (closes_at - opens_at) / numpy.timedelta64(1, "s")
    cumulative = numpy.concatenate([[0.0], numpy.cumsum(lengths)[:-1]])
    return {
        "midnight": stamps(midnights),
        "opens": opens_at,
        "length": lengths,
        "cumulative": cumulative,
    }


def _work_seconds(days: dict[str, Any], instants: Any) -> Any:
    import numpy

    index = numpy.searchsorted(days["midnight"], instants, side="right") - 1
    into = (instants - days["opens"][index]) / numpy.timedelta64(1, "s")
    return days["cumulative"][index] + numpy.clip(into, 0, days["length"][index])


# -- cube -------------------------------------------------------------------------------------


def _cube_pair(
    con: duckdb.DuckDBPyConnection, star: str, frame: pandas.DataFrame
) -> tuple[Any, Any]:
    def ours() -> ResultTable:
        return cube(con, star, CUBE)

    def theirs() -> pandas.DataFrame:
        import pandas

        current = frame[frame.valid_to == pandas.Timestamp(CURRENT)]
        parts = current.Org.str.strip("/").str.split("/")
        current = current.assign(
            Org=parts.map(
                lambda p: ["/"] + ["/" + "/".join(p[:i]) + "/" for i in range(1, len(p) + 1)]
            )
        ).explode("Org")
        cells = []
        for size in (2, 1, 0):
            for free in combinations(["Priority", "State"], size):
                grouped = current.groupby(["Org", *free]).Points.agg(["count", "sum", "median"])
                cells.append(grouped.reset_index())
        return pandas.concat(cells, ignore_index=True)

    expected = theirs()
    got = ours()
    assert len(got) == len(expected), "cube: cell counts differ"
    assert math.isclose(sum(got.column("points")), float(expected["sum"].sum()))
    return ours, theirs


# -- transitions ------------------------------------------------------------------------------


def _transitions_pair(
    con: duckdb.DuckDBPyConnection, star: str, frame: pandas.DataFrame
) -> tuple[Any, Any]:
    import numpy

    tick_list = ticks({k: v for k, v in TRANSITIONS.items() if k in TIME_SERIES})
    # Period n runs from tick n - 1 (the first from its own start) to tick n.
    starts = [tick_list[0].start] + [t.at for t in tick_list[:-1]]

    def ours() -> ResultTable:
        return transitions(con, star, TRANSITIONS)

    def theirs() -> list[tuple[float, float]]:
        import pandas

        history = frame.sort_values(["id", "valid_from"])
        same_entity = history.id.eq(history.id.shift())
        contiguous = same_entity & history.valid_from.eq(history.valid_to.shift())
        inside = history.State.eq("Done")
        was = contiguous & history.State.shift().eq("Done")
        first, last = pandas.Timestamp(starts[0]), pandas.Timestamp(tick_list[-1].at)
        crossing = inside.ne(was) & (history.valid_from >= first) & (history.valid_from < last)
        moves = history[crossing]
        period = (
            numpy.searchsorted(
                numpy.array([pandas.Timestamp(s).to_datetime64() for s in starts]),
                moves.valid_from.dt.tz_convert(None).to_numpy(dtype="datetime64[us]"),
                side="right",
            )
            - 1
        )
        entered = moves.Points.where(inside[crossing], 0).groupby(period).sum()
        exited = history.Points.shift()[crossing].where(was[crossing], 0).groupby(period).sum()
        return [(float(entered.get(n, 0)), float(exited.get(n, 0))) for n in range(len(tick_list))]

    _same([row[3:5] for row in ours().rows], theirs(), "transitions")
    return ours, theirs


def _same(got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]], what: str) -> None:
    assert len(got) == len(expected), f"{what}: row counts differ"
    for ours, theirs in zip(got, expected, strict=True):
        assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(ours, theirs, strict=True)), (
            f"{what}: {ours} != {theirs}"
        )
