"""OLAP cube: totals, roll-up, hierarchies, ``__At``; expected cells worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from nebula_kernel.lookback import cube
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.eng.board"
COUNT_AND_POINTS = [{"as": "n", "f": "count"}, {"as": "points", "f": "sum", "field": "Points"}]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def board(lookback_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    w = SnapshotWriter(lookback_con, STAR)
    day = utc(2025, 1, 1)
    w.put(
        "Story",
        "W1",
        {"Team": "Red", "Org": "/acme/eng/platform/", "State": "Done", "Points": 5},
        day,
    )
    w.put(
        "Story", "W2", {"Team": "Red", "Org": "/acme/eng/data/", "State": "Ready", "Points": 3}, day
    )
    w.put(
        "Story",
        "W3",
        {"Team": "Blue", "Org": "/acme/eng/platform/", "State": "Done", "Points": 8},
        day,
    )
    w.put("Story", "W4", {"Team": "Blue", "Org": "/acme/sales/", "State": "Done", "Points": 2}, day)
    w.put(
        "Story",
        "W4",
        {"Team": "Blue", "Org": "/acme/sales/", "State": "Done", "Points": 1},
        utc(2025, 2, 1),
    )
    w.put(
        "Story", "W5", {"Team": "Red", "Org": "/acme/eng/data/", "State": "Done", "Points": 13}, day
    )
    w.delete("Story", "W5", utc(2025, 2, 15))
    SnapshotWriter(lookback_con, "other.star.x").put(
        "Story", "W1", {"Team": "Red", "Org": "/acme/", "State": "Done", "Points": 100}, day
    )
    return lookback_con


def test_current_cube_with_every_total(board: duckdb.DuckDBPyConnection) -> None:
    spec = {"dimensions": [{"field": "Team"}, {"field": "State"}], "metrics": COUNT_AND_POINTS}
    result = cube(board, STAR, spec)
    assert result.columns == ("Team", "State", "_Totals", "n", "points")
    # Current: W1 Red/Done 5, W2 Red/Ready 3, W3 Blue/Done 8, W4 Blue/Done 1 (W5 deleted).
    # Cells come by grouping (the last dimension is totalled first), then by value.
    assert result.rows == (
        ("Blue", "Done", [], 2, 9.0),  # W3 8 + W4 1
        ("Red", "Done", [], 1, 5.0),
        ("Red", "Ready", [], 1, 3.0),
        ("Blue", None, ["State"], 2, 9.0),
        ("Red", None, ["State"], 2, 8.0),  # 5 + 3
        (None, "Done", ["Team"], 3, 14.0),  # 5 + 8 + 1
        (None, "Ready", ["Team"], 1, 3.0),
        (None, None, ["Team", "State"], 4, 17.0),
    )


def test_rollup_and_no_totals(board: duckdb.DuckDBPyConnection) -> None:
    spec: dict[str, Any] = {
        "dimensions": [{"field": "Team"}, {"field": "State"}],
        "metrics": COUNT_AND_POINTS,
        "totals": "rollup",
    }
    # (Team, State), (Team), (): 3 + 2 + 1 cells; no per-State totals.
    assert [r[2] for r in cube(board, STAR, spec).rows] == [
        [],
        [],
        [],
        ["State"],
        ["State"],
        ["Team", "State"],
    ]
    assert len(cube(board, STAR, {**spec, "totals": "none"})) == 3


def test_hierarchy_rolls_up_to_every_ancestor(board: duckdb.DuckDBPyConnection) -> None:
    spec = {
        "dimensions": [{"field": "Org", "hierarchy": "path"}],
        "metrics": [*COUNT_AND_POINTS, {"as": "p50", "f": "median", "field": "Points"}],
    }
    cells = {r[0]: (r[2], r[3], r[4]) for r in cube(board, STAR, spec).rows}
    # platform: W1 5, W3 8 (median 6.5); data: W2 3; sales: W4 1.
    # /acme/eng/ = platform + data: 3 items, 16 points, median of [3, 5, 8] = 5.
    # / and /acme/ hold all four: 17 points, median of [1, 3, 5, 8] = 4.
    assert cells == {
        "/": (4, 17.0, 4.0),
        "/acme/": (4, 17.0, 4.0),
        "/acme/eng/": (3, 16.0, 5.0),
        "/acme/eng/data/": (1, 3.0, 3.0),
        "/acme/eng/platform/": (2, 13.0, 6.5),
        "/acme/sales/": (1, 1.0, 1.0),
    }


def test_hierarchy_with_another_dimension(board: duckdb.DuckDBPyConnection) -> None:
    spec = {
        "dimensions": [{"field": "Org", "hierarchy": "path"}, {"field": "Team"}],
        "metrics": [{"as": "n", "f": "count"}],
    }
    rows = cube(board, STAR, spec).rows
    # The path is never totalled (its root "/" is the total); Team is.
    assert ("/", None, ["Team"], 4) in rows
    assert ("/acme/eng/", "Red", [], 2) in rows  # W1, W2
    assert all(r[2] in ([], ["Team"]) for r in rows)


def test_every_metric_combines_across_leaves(board: duckdb.DuckDBPyConnection) -> None:
    SnapshotWriter(board, STAR).put(
        "Story", "W6", {"Team": "Green", "State": "Ready"}, utc(2025, 1, 1)
    )  # no Points: its cells have no value to aggregate
    spec = {
        "dimensions": [{"field": "Team"}, {"field": "State"}],
        "metrics": [
            {"as": "valued", "f": "count", "field": "Points"},
            {"as": "mean", "f": "avg", "field": "Points"},
            {"as": "low", "f": "min", "field": "Points"},
            {"as": "high", "f": "max", "field": "Points"},
            {"as": "p90", "f": "p90", "field": "Points"},
            {"as": "doneMedian", "f": "median", "field": "Points", "filter": {"State": "Done"}},
        ],
        "totals": "rollup",
    }
    cells = {(r[0], r[1]): r[3:] for r in cube(board, STAR, spec).rows}
    # Leaves: Blue/Done [8, 1], Red/Done [5], Red/Ready [3], Green/Ready [] (no Points).
    # p90 of n sorted values interpolates at rank (n - 1) * 0.9 (PERCENTILE.INC).
    assert cells == {
        ("Blue", "Done"): (2, 4.5, 1.0, 8.0, 1 + (8 - 1) * 0.9, 4.5),
        ("Green", "Ready"): (0, None, None, None, None, None),
        ("Red", "Done"): (1, 5.0, 5.0, 5.0, 5.0, 5.0),
        ("Red", "Ready"): (1, 3.0, 3.0, 3.0, 3.0, None),  # the filter keeps no row
        # Totals combine leaves: Red is [5] + [3], Done only from the Done leaf.
        ("Blue", None): (2, 4.5, 1.0, 8.0, 1 + (8 - 1) * 0.9, 4.5),
        ("Green", None): (0, None, None, None, None, None),
        ("Red", None): (2, 4.0, 3.0, 5.0, 3 + (5 - 3) * 0.9, 5.0),
        # All of [1, 3, 5, 8]: rank 2.7 lies 0.7 of the way from 5 to 8; Done: [1, 5, 8].
        (None, None): (4, 4.25, 1.0, 8.0, 5 + (8 - 5) * (3 * 0.9 - 2), 5.0),
    }


def test_no_rows_leave_only_the_grand_total(board: duckdb.DuckDBPyConnection) -> None:
    metrics = [
        *COUNT_AND_POINTS,
        {"as": "p50", "f": "median", "field": "Points"},
        {"as": "low", "f": "min", "field": "Points"},
    ]
    spec: dict[str, Any] = {
        "filter": {"State": "Gone"},
        "dimensions": [{"field": "Team"}],
        "metrics": metrics,
    }
    # As with GROUP BY (): the total over no rows exists; count and sum are 0, the rest null.
    assert cube(board, STAR, spec).rows == ((None, ["Team"], 0, 0.0, None, None),)
    assert cube(board, STAR, {**spec, "totals": "none"}).rows == ()
    path = {**spec, "dimensions": [{"field": "Org", "hierarchy": "path"}]}
    assert cube(board, STAR, path).rows == ()  # a path is never totalled: no grand total


def test_cube_at_an_instant_and_with_a_filter(board: duckdb.DuckDBPyConnection) -> None:
    spec: dict[str, Any] = {
        "__At": "2025-01-15T00:00:00Z",
        "dimensions": [{"field": "Team"}],
        "metrics": COUNT_AND_POINTS,
    }
    # Mid-January W4 still has 2 points and W5 (Red, 13) exists:
    # Blue: 8 + 2 = 10; Red: 5 + 3 + 13 = 21; all: 31.
    assert cube(board, STAR, spec).rows == (
        ("Blue", [], 2, 10.0),
        ("Red", [], 3, 21.0),
        (None, ["Team"], 5, 31.0),
    )
    done = cube(board, STAR, {**spec, "filter": {"State": "Done"}, "totals": "none"})
    assert done.rows == (("Blue", [], 2, 10.0), ("Red", [], 2, 18.0))


def test_counts_and_sums_move_forward_by_deltas(board: duckdb.DuckDBPyConnection) -> None:
    # The docstring's incremental recipe: cells(t1) = cells(t0) + became valid - stopped.
    t0, t1 = "2025-01-15T00:00:00Z", "2025-03-01T00:00:00Z"
    spec: dict[str, Any] = {
        "dimensions": [{"field": "Team"}],
        "metrics": COUNT_AND_POINTS,
        "totals": "none",
    }

    def cells(**change: Any) -> dict[str, tuple[int, float]]:
        return {r[0]: (r[2], r[3]) for r in cube(board, STAR, {**spec, **change}).rows}

    before = cells(__At=t0)
    came = cells(__At=t1, filter={"_ValidFrom": {"$gt": t0}})  # W4's 1-point version
    went = cells(__At=t0, filter={"_ValidTo": {"$lte": t1}})  # W4's 2-point version, W5
    moved = {
        team: (
            n + came.get(team, (0, 0.0))[0] - went.get(team, (0, 0.0))[0],
            points + came.get(team, (0, 0.0))[1] - went.get(team, (0, 0.0))[1],
        )
        for team, (n, points) in before.items()
    }
    # Blue: 2 + 1 - 1 items, 10 + 1 - 2 points; Red: 3 - 1 items, 21 - 13 points.
    assert moved == cells(__At=t1) == {"Blue": (2, 9.0), "Red": (2, 8.0)}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"__At": "yesterday"}, "__At"),
        ({"dimensions": []}, "dimensions"),
        ({"dimensions": [{"field": "Team", "hierarchy": "tree"}]}, "dimensions.0.hierarchy"),
        ({"dimensions": [{"field": ""}]}, "dimensions.0.field"),
        ({"dimensions": [{"field": "Team"}, {"field": "Team"}]}, "dimensions.1.as"),
        ({"metrics": [{"as": "m", "f": "p0", "field": "Points"}]}, "metrics.0.f"),
        ({"totals": "all"}, "totals"),
        ({"filter": {"Team": {"$in": "Red"}}}, "filter.Team.$in"),
    ],
)
def test_invalid_specs_point_at_the_field(
    board: duckdb.DuckDBPyConnection,
    invalid_query_path: Callable[[Callable[[], object]], str],
    change: dict[str, Any],
    path: str,
) -> None:
    spec = {"dimensions": [{"field": "Team"}], "metrics": COUNT_AND_POINTS, **change}
    assert invalid_query_path(lambda: cube(board, STAR, spec)) == path
