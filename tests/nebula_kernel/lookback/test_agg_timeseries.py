"""Time series on a hand-made history, with every expected value worked out in comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from nebula_kernel.lookback import merge_time_series, time_series
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.eng.board"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Chicago, Mon-Fri, holiday Monday 2011-03-14, DST starts Sunday 2011-03-13. From 2011-03-10 to
# 2011-03-17 (exclusive) the ticks are the ends of:
#   T1 Thu 03-10 -> 2011-03-11T06:00Z    T2 Fri 03-11 -> 2011-03-12T06:00Z
#   T3 Tue 03-15 -> 2011-03-16T05:00Z    T4 Wed 03-16 -> 2011-03-17T05:00Z   (CDT from 03-13)
T1, T2, T3, T4 = utc(2011, 3, 11, 6), utc(2011, 3, 12, 6), utc(2011, 3, 16, 5), utc(2011, 3, 17, 5)
WINDOW = {
    "granularity": "day",
    "tz": "America/Chicago",
    "start": "2011-03-10",
    "end": "2011-03-17",
    "holidays": [{"year": 2011, "month": 3, "day": 14}],
    "filter": {"_Type": "Story"},
}


@pytest.fixture
def board(lookback_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    w = SnapshotWriter(lookback_con, STAR)
    # A starts before the window and is still current at the end.
    w.put("Story", "A", {"State": "Backlog", "Points": 5, "Spent": 1}, utc(2011, 3, 1))
    w.put("Story", "A", {"State": "In Progress", "Points": 5, "Spent": 1}, utc(2011, 3, 11, 12))
    w.put("Story", "A", {"State": "Done", "Points": 8, "Spent": 1}, utc(2011, 3, 16, 4))
    # B is created inside the window and deleted before T3.
    w.put("Story", "B", {"State": "In Progress", "Points": 3}, utc(2011, 3, 10, 12))
    w.delete("Story", "B", utc(2011, 3, 15, 10))
    # C starts exactly at T1, so it is valid at T1 (valid_from <= tick).
    w.put("Story", "C", {"State": "Backlog", "Points": 2}, T1)
    w.put("Story", "C", {"State": "Backlog", "Points": 4}, utc(2011, 3, 15, 12))
    # D is a Defect: the filter leaves it out. Another star's story must never count.
    w.put("Defect", "D", {"State": "Done", "Points": 13}, utc(2011, 2, 1))
    SnapshotWriter(lookback_con, "other.star.x").put("Story", "A", {"Points": 100}, utc(2011, 1, 1))
    return lookback_con


def test_metrics_at_each_tick(board: duckdb.DuckDBPyConnection) -> None:
    spec = {
        **WINDOW,
        "derived": [{"as": "remaining", "f": "Points - Spent"}],
        "metrics": [
            {"as": "count", "f": "count"},
            {"as": "points", "f": "sum", "field": "Points"},
            {"as": "smallest", "f": "min", "field": "Points"},
            {"as": "largest", "f": "max", "field": "Points"},
            {"as": "mean", "f": "avg", "field": "Points"},
            {"as": "middle", "f": "median", "field": "Points"},
            {"as": "p75", "f": "p75", "field": "Points"},
            {"as": "done", "f": "count", "filter": {"State": "Done"}},
            {"as": "donePoints", "f": "sum", "field": "Points", "filter": {"State": "Done"}},
            {"as": "remaining", "f": "sum", "field": "remaining"},
        ],
    }
    rows = time_series(board, STAR, spec).table.records()
    assert [(r["label"], r["tick"]) for r in rows] == [
        ("2011-03-10", T1),
        ("2011-03-11", T2),
        ("2011-03-15", T3),
        ("2011-03-16", T4),
    ]
    # T1: A 5 (Backlog), B 3, C 2.  sum 10, mean 10/3, median 3,
    #     p75 of [2, 3, 5]: rank 0.75 * (3 - 1) = 1.5 -> 3 + 0.5 * (5 - 3) = 4. Only A has Spent:
    #     remaining = 5 - 1 = 4. Nothing Done (D is a Defect): done 0, donePoints 0.
    # T2: A 5 (In Progress), B 3, C 2: the same numbers.
    # T3: A 8 (Done since 04:00Z), C 4; B deleted.  sum 12, mean 6, median 6,
    #     p75 of [4, 8]: rank 0.75 -> 4 + 0.75 * 4 = 7. remaining 8 - 1 = 7; done 1, 8 points.
    # T4: as T3.
    expected = [
        (3, 10.0, 2.0, 5.0, 10 / 3, 3.0, 4.0, 0, 0, 4.0),
        (3, 10.0, 2.0, 5.0, 10 / 3, 3.0, 4.0, 0, 0, 4.0),
        (2, 12.0, 4.0, 8.0, 6.0, 6.0, 7.0, 1, 8.0, 7.0),
        (2, 12.0, 4.0, 8.0, 6.0, 6.0, 7.0, 1, 8.0, 7.0),
    ]
    names = [
        "count",
        "points",
        "smallest",
        "largest",
        "mean",
        "middle",
        "p75",
        "done",
        "donePoints",
        "remaining",
    ]
    assert [tuple(r[n] for n in names) for r in rows] == [pytest.approx(e) for e in expected]


def test_cumulative_flow_summary_and_ideal_line(board: duckdb.DuckDBPyConnection) -> None:
    spec = {
        **WINDOW,
        "metrics": [{"as": "n", "f": "count"}, {"as": "points", "f": "sum", "field": "Points"}],
        "groupBy": {"field": "State", "values": ["Backlog", "In Progress", "Done"]},
        "summary": [
            {"as": "scope", "f": "first", "metric": "points"},
            {"as": "peak", "f": "max", "metric": "points"},
            {"as": "mostInProgress", "f": "max", "metric": "n:In Progress"},
        ],
        "afterSummary": [{"as": "ideal", "f": "scope * (1 - tickIndex / (tickCount - 1))"}],
    }
    result = time_series(board, STAR, spec)
    flow = [
        (r["n:Backlog"], r["n:In Progress"], r["n:Done"], r["points:Backlog"])
        for r in result.table.records()
    ]
    # T1: Backlog A, C (5 + 2 points); In Progress B.   T2: Backlog C (2); In Progress A, B.
    # T3, T4: Backlog C (4 points); Done A.  A group with no rows counts 0 and sums 0.
    assert flow == [(2, 1, 0, 7.0), (1, 2, 0, 2.0), (1, 0, 1, 4.0), (1, 0, 1, 4.0)]
    # points per tick: 10, 10, 12, 12 -> first 10, max 12; In Progress peaks at 2 (T2).
    assert result.summary == {"scope": 10.0, "peak": 12.0, "mostInProgress": 2.0}
    # ideal: 10 * (1 - i / 3) for i = 0..3.
    assert result.table.column("ideal") == pytest.approx([10.0, 20 / 3, 10 / 3, 0.0])
    frame = result.table.to_pandas()
    assert list(frame.columns[:4]) == ["label", "tick", "n", "points"]
    assert result.table.to_arrow().num_rows == 4


def test_percentiles_match_excel_percentile_inc(lookback_con: duckdb.DuckDBPyConnection) -> None:
    w = SnapshotWriter(lookback_con, STAR)
    for n, points in enumerate([15, 20, 35, 40, 50]):
        w.put("Story", f"s{n}", {"Points": points}, utc(2020, 1, 1))
    spec = {
        "granularity": "day",
        "start": "2020-01-06",
        "end": "2020-01-07",
        "metrics": [
            {"as": "p90", "f": "p90", "field": "Points"},
            {"as": "p25", "f": "p25", "field": "Points"},
            {"as": "p12.5", "f": "p12.5", "field": "Points"},
            {"as": "median", "f": "median", "field": "Points"},
        ],
    }
    (row,) = time_series(lookback_con, STAR, spec).table.records()
    # PERCENTILE.INC({15,20,35,40,50}, k): rank k * (5 - 1).
    # k=0.9: rank 3.6 -> 40 + 0.6 * 10 = 46.   k=0.25: rank 1 -> 20.
    # k=0.125: rank 0.5 -> 15 + 0.5 * 5 = 17.5.   median: rank 2 -> 35.
    assert (row["p90"], row["p25"], row["p12.5"], row["median"]) == pytest.approx(
        (46.0, 20.0, 17.5, 35.0)
    )


def test_only_ticks_after_a_given_one_then_merged(board: duckdb.DuckDBPyConnection) -> None:
    spec: dict[str, Any] = {
        **WINDOW,
        "metrics": [{"as": "points", "f": "sum", "field": "Points"}],
        "summary": [{"as": "scope", "f": "first", "metric": "points"}],
        "afterSummary": [{"as": "ideal", "f": "scope * (1 - tickIndex / (tickCount - 1))"}],
    }
    full = time_series(board, STAR, spec)
    older = time_series(board, STAR, {**spec, "end": "2011-03-12"})
    newer = time_series(board, STAR, {**spec, "after": "2011-03-12T06:00:00Z"})
    assert [r["label"] for r in newer.table.records()] == ["2011-03-15", "2011-03-16"]
    # Merged, the ideal line is drawn again over four ticks, not the two of each part.
    assert merge_time_series(spec, older, newer) == full


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"metrics": [{"as": "m", "f": "mode", "field": "Points"}]}, "metrics.0.f"),
        ({"metrics": [{"as": "m", "f": "p100", "field": "Points"}]}, "metrics.0.f"),
        ({"metrics": [{"as": "m", "f": "sum"}]}, "metrics.0.field"),
        ({"metrics": [{"as": "m", "f": "sum", "field": "_ValidFrom"}]}, "metrics.0.field"),
        (
            {"metrics": [{"as": "m", "f": "count", "filter": {"State": {"$near": 1}}}]},
            "metrics.0.filter.State.$near",
        ),
        ({"metrics": [{"as": "m", "f": "count"}, {"as": "m", "f": "count"}]}, "metrics.1.as"),
        ({"metrics": []}, "metrics"),
        ({"derived": [{"as": "x", "f": "Points -"}]}, "derived.0.f"),
        ({"derived": [{"as": "x", "f": "Points ** 2"}]}, "derived.0.f"),
        ({"summary": [{"as": "s", "f": "max", "metric": "nope"}]}, "summary.0.metric"),
        ({"summary": [{"as": "s", "f": "mode", "metric": "n"}]}, "summary.0.f"),
        ({"afterSummary": [{"as": "a", "f": "n * later"}]}, "afterSummary.0.f"),
        ({"summary": [{"as": "n", "f": "max", "metric": "n"}]}, "summary.0.as"),
        ({"afterSummary": [{"as": "tickIndex", "f": "n"}]}, "afterSummary.0.as"),
        ({"groupBy": {"field": "State", "values": []}}, "groupBy.values"),
        ({"filter": {"$where": "1"}}, "filter.$where"),
        ({"after": "soon"}, "after"),
        ({"granularity": "year"}, "granularity"),
        ({"tz": "Europe/Atlantis"}, "tz"),
    ],
)
def test_invalid_time_series_specs_point_at_the_field(
    board: duckdb.DuckDBPyConnection,
    invalid_query_path: Callable[[Callable[[], object]], str],
    change: dict[str, Any],
    path: str,
) -> None:
    spec = {**WINDOW, "metrics": [{"as": "n", "f": "count"}], **change}
    assert invalid_query_path(lambda: time_series(board, STAR, spec)) == path
