"""Time in state: work hours, work days, holidays and DST, worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from nebula_kernel.lookback import merge_time_in_state, time_in_state
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.eng.board"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Chicago, work days Mon-Fri 09:00-17:00 local, holiday Monday 2011-03-14; DST starts Sunday
# 2011-03-13, so 09:00 local is 15:00Z before and 14:00Z after. Window: 2011-03-10 00:00 local
# (Thu) to 2011-03-17 00:00 local (Thu).
QUERY: dict[str, Any] = {
    "tz": "America/Chicago",
    "start": "2011-03-10",
    "end": "2011-03-17",
    "workDayStartOn": "09:00",
    "workDayEndBefore": "17:00",
    "holidays": ["2011-03-14"],
    "predicate": {"State": "In Progress"},
    "filter": {"_Type": "Story"},
    "fields": ["State", "Points"],
}


@pytest.fixture
def board(lookback_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    w = SnapshotWriter(lookback_con, STAR)
    # A: In Progress from before the window (Wed 09:00 CST) until Tue 03-15 14:00 CDT (19:00Z).
    w.put("Story", "A", {"State": "In Progress", "Points": 5}, utc(2011, 3, 9, 15))
    w.put("Story", "A", {"State": "Done", "Points": 5}, utc(2011, 3, 15, 19))
    # B: In Progress from Wed 03-16 11:30 CDT (16:30Z), still current.
    w.put("Story", "B", {"State": "In Progress", "Points": 3}, utc(2011, 3, 16, 16, 30))
    # C: In Progress Fri 14:00-16:00 CST, Backlog, In Progress again Tue 08:30 CDT, then deleted
    # Tue 10:00 CDT.
    w.put("Story", "C", {"State": "In Progress", "Points": 2}, utc(2011, 3, 11, 20))
    w.put("Story", "C", {"State": "Backlog", "Points": 2}, utc(2011, 3, 11, 22))
    w.put("Story", "C", {"State": "In Progress", "Points": 2}, utc(2011, 3, 15, 13, 30))
    w.delete("Story", "C", utc(2011, 3, 15, 15))
    # D is never In Progress; E is In Progress only over the weekend.
    w.put("Story", "D", {"State": "Backlog", "Points": 1}, utc(2011, 3, 1))
    w.put("Story", "E", {"State": "In Progress", "Points": 8}, utc(2011, 3, 12, 15))
    w.put("Story", "E", {"State": "Done", "Points": 8}, utc(2011, 3, 13, 20))
    # A Defect and another star's story are left out.
    w.put("Defect", "F", {"State": "In Progress"}, utc(2011, 3, 1))
    SnapshotWriter(lookback_con, "other.star.x").put(
        "Story", "A", {"State": "In Progress"}, utc(2011, 3, 1)
    )
    return lookback_con


def test_work_hours_per_entity(board: duckdb.DuckDBPyConnection) -> None:
    result = time_in_state(board, STAR, {**QUERY, "granularity": "hour"})
    assert result.columns == ("_Type", "_Id", "timeInState", "State", "Points")
    # A: Thu 8 h + Fri 8 h + (weekend, holiday Monday: 0) + Tue 09:00-14:00 5 h = 21 h.
    # B: Wed 11:30-17:00 = 5.5 h, counted up to the end of the query since it is current.
    # C: Fri 14:00-16:00 = 2 h, plus Tue 09:00-10:00 = 1 h (08:30-09:00 is before work) = 3 h;
    #    its last snapshot (closed by the delete) is In Progress.
    # E: only weekend time: 0 h, still listed since it was In Progress in the window.
    assert result.rows == (
        ("Story", "A", pytest.approx(21.0), "Done", 5),
        ("Story", "B", pytest.approx(5.5), "In Progress", 3),
        ("Story", "C", pytest.approx(3.0), "In Progress", 2),
        ("Story", "E", pytest.approx(0.0), "Done", 8),
    )


@pytest.mark.parametrize(
    ("granularity", "factor"),
    # One work day is 8 hours; an hour is 60 minutes.
    [("minute", 60.0), ("day", 1 / 8)],
)
def test_units(board: duckdb.DuckDBPyConnection, granularity: str, factor: float) -> None:
    result = time_in_state(board, STAR, {**QUERY, "granularity": granularity})
    assert result.column("timeInState") == pytest.approx(
        [21 * factor, 5.5 * factor, 3 * factor, 0.0]
    )


def test_without_the_holiday_monday_counts(board: duckdb.DuckDBPyConnection) -> None:
    result = time_in_state(board, STAR, {**QUERY, "holidays": []})
    # A gains Monday 03-14, 8 h: 29 h. Nobody else was In Progress on Monday.
    assert result.column("timeInState") == pytest.approx([29.0, 5.5, 3.0, 0.0])


def test_consecutive_windows_add_up(board: duckdb.DuckDBPyConnection) -> None:
    first = time_in_state(board, STAR, {**QUERY, "end": "2011-03-15"})
    second = time_in_state(board, STAR, {**QUERY, "start": "2011-03-15"})
    # Up to Tue 00:00: A 16 h, C 2 h, E 0 h. From Tue: A 5 h, B 5.5 h, C 1 h.
    assert first.column("timeInState") == pytest.approx([16.0, 2.0, 0.0])
    merged = merge_time_in_state(first, second)
    assert merged.records() == time_in_state(board, STAR, QUERY).records()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"granularity": "week"}, "granularity"),
        ({"predicate": {"State": {"$between": [1, 2]}}}, "predicate.State.$between"),
        ({"fields": ["_ValidFrom"]}, "fields.0"),
        ({"fields": ["a..b"]}, "fields.0"),
        ({"end": "2011-03-01"}, "end"),
        ({"start": "2011-02-30"}, "start"),
        ({"workDayEndBefore": "25:00"}, "workDayEndBefore"),
        ({"tz": "Chicago"}, "tz"),
    ],
)
def test_invalid_specs_point_at_the_field(
    board: duckdb.DuckDBPyConnection,
    invalid_query_path: Callable[[Callable[[], object]], str],
    change: dict[str, Any],
    path: str,
) -> None:
    spec = {**QUERY, **change}
    assert invalid_query_path(lambda: time_in_state(board, STAR, spec)) == path
