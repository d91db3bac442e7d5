"""Transitions into Done per day, net of exits, counted and summed, worked out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from nebula_kernel.lookback import merge_transitions, transitions
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.eng.board"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Chicago, Mon-Fri, DST from Sunday 2011-03-13. Periods run from one tick to the next:
#   Thu 03-10 [03-10T06Z, 03-11T06Z)   Fri 03-11 [03-11T06Z, 03-12T06Z)
#   Mon 03-14 [03-12T06Z, 03-15T05Z)   (Saturday and Sunday count on Monday)
#   Tue 03-15 [03-15T05Z, 03-16T05Z)   Wed 03-16 [03-16T05Z, 03-17T05Z)
# "now" is Wed 03-16 13:00 CDT (18:00Z), so Wednesday is not complete.
QUERY: dict[str, Any] = {
    "granularity": "day",
    "tz": "America/Chicago",
    "start": "2011-03-10",
    "end": "2011-03-17",
    "predicate": {"State": "Done"},
    "filter": {"_Type": "Story"},
    "now": "2011-03-16T18:00:00Z",
}
TICKS = [
    utc(2011, 3, 11, 6),
    utc(2011, 3, 12, 6),
    utc(2011, 3, 15, 5),
    utc(2011, 3, 16, 5),
    utc(2011, 3, 17, 5),
]


@pytest.fixture
def board(lookback_con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    w = SnapshotWriter(lookback_con, STAR)
    w.put("Story", "A", {"State": "Backlog", "Points": 5}, utc(2011, 3, 1))
    w.put("Story", "A", {"State": "Done", "Points": 5}, utc(2011, 3, 10, 15))  # Thu: in
    w.put("Story", "A", {"State": "In Progress", "Points": 5}, utc(2011, 3, 15, 14))  # Tue: out
    # B is created Done (Thu: in), then changes another field while Done (no crossing).
    w.put("Story", "B", {"State": "Done", "Points": 3}, utc(2011, 3, 10, 16))
    w.put("Story", "B", {"State": "Done", "Points": 3, "Note": "x"}, utc(2011, 3, 11, 16))
    # C reaches Done on Saturday (counts Monday), then is re-estimated while Done.
    w.put("Story", "C", {"State": "In Progress", "Points": 8}, utc(2011, 3, 1))
    w.put("Story", "C", {"State": "Done", "Points": 8}, utc(2011, 3, 12, 15))
    w.put("Story", "C", {"State": "Done", "Points": 13}, utc(2011, 3, 14, 15))
    # D goes in and out on Tuesday.
    w.put("Story", "D", {"State": "In Progress", "Points": 2}, utc(2011, 3, 1))
    w.put("Story", "D", {"State": "Done", "Points": 2}, utc(2011, 3, 15, 16))
    w.put("Story", "D", {"State": "In Progress", "Points": 2}, utc(2011, 3, 15, 20))
    # E was Done before the window and is deleted on Wednesday: a delete is not an exit.
    w.put("Story", "E", {"State": "Done", "Points": 1}, utc(2011, 3, 1))
    w.delete("Story", "E", utc(2011, 3, 16, 12))
    # G is deleted while Done and created again Done on Friday: re-creation enters again.
    # H is written again unchanged while Done: no crossing.
    w.put("Story", "G", {"State": "Done", "Points": 1}, utc(2011, 3, 1))
    w.delete("Story", "G", utc(2011, 3, 10, 12))
    w.put("Story", "G", {"State": "Done", "Points": 1}, utc(2011, 3, 11, 12))
    w.put("Story", "H", {"State": "Done", "Points": 4}, utc(2011, 3, 1))
    w.put("Story", "H", {"State": "Done", "Points": 4}, utc(2011, 3, 10, 12))
    # F is a Defect (filtered out); another star's story is never read.
    w.put("Defect", "F", {"State": "Backlog"}, utc(2011, 3, 1))
    w.put("Defect", "F", {"State": "Done"}, utc(2011, 3, 11, 15))
    SnapshotWriter(lookback_con, "other.star.x").put(
        "Story", "A", {"State": "Done"}, utc(2011, 3, 10, 15)
    )
    return lookback_con


def test_counts_per_period(board: duckdb.DuckDBPyConnection) -> None:
    result = transitions(board, STAR, QUERY)
    assert result.columns == ("label", "tick", "complete", "entered", "exited", "net")
    # Thu: A, B in.  Fri: G again (F is a Defect).  Mon: C (Saturday).  Tue: D in; A, D out.
    assert result.rows == (
        ("2011-03-10", TICKS[0], True, 2, 0, 2),
        ("2011-03-11", TICKS[1], True, 1, 0, 1),
        ("2011-03-14", TICKS[2], True, 1, 0, 1),
        ("2011-03-15", TICKS[3], True, 1, 2, -1),
        ("2011-03-16", TICKS[4], False, 0, 0, 0),
    )


def test_sums_of_a_field(board: duckdb.DuckDBPyConnection) -> None:
    result = transitions(board, STAR, {**QUERY, "field": "Points"})
    # Thu: 5 + 3 = 8 in.  Fri: G 1.  Mon: 8 in (C's re-estimate to 13 is no crossing).
    # Tue: D 2 in; A 5 + D 2 = 7 out; net -5.
    assert [r[3:] for r in result.rows] == [
        (8.0, 0.0, 8.0),
        (1.0, 0.0, 1.0),
        (8.0, 0.0, 8.0),
        (2.0, 7.0, -5.0),
        (0.0, 0.0, 0.0),
    ]


def test_periods_after_now_are_left_out(board: duckdb.DuckDBPyConnection) -> None:
    # Now is Tue 12:00Z: Tuesday's period has started, Wednesday's has not.
    result = transitions(board, STAR, {**QUERY, "now": "2011-03-15T12:00:00Z"})
    assert [(r[0], r[2]) for r in result.rows] == [
        ("2011-03-10", True),
        ("2011-03-11", True),
        ("2011-03-14", True),
        ("2011-03-15", False),
    ]


def test_later_periods_merge_onto_complete_ones(board: duckdb.DuckDBPyConnection) -> None:
    older = transitions(board, STAR, {**QUERY, "now": "2011-03-15T12:00:00Z"})
    newer = transitions(board, STAR, {**QUERY, "after": "2011-03-15T05:00:00Z"})
    # The older Tuesday was unfinished: it is replaced by the newer one.
    assert [r[0] for r in newer.rows] == ["2011-03-15", "2011-03-16"]
    assert merge_transitions(older, newer) == transitions(board, STAR, QUERY)


def test_a_predicate_on_a_nested_field(lookback_con: duckdb.DuckDBPyConnection) -> None:
    w = SnapshotWriter(lookback_con, STAR)
    w.put("Story", "N", {"flow": {"state": "open", "by": "ann"}}, utc(2011, 3, 1))
    # The old "flow" had no "closedBy": the prior version must not borrow it from the new one.
    w.put(
        "Story",
        "N",
        {"flow": {"state": "closed", "by": "ann", "closedBy": "bob"}},
        utc(2011, 3, 10, 15),
    )
    spec = {**QUERY, "filter": None, "predicate": {"flow.closedBy": {"$exists": True}}}
    first = transitions(lookback_con, STAR, spec).rows[0]
    assert first[3:] == (1, 0, 1)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"predicate": {"$foo": 1}}, "predicate.$foo"),
        ({"field": "_Id"}, "field"),
        ({"now": "later"}, "now"),
        ({"granularity": "decade"}, "granularity"),
        ({"predicate": None}, "predicate"),
    ],
)
def test_invalid_specs_point_at_the_field(
    board: duckdb.DuckDBPyConnection,
    invalid_query_path: Callable[[Callable[[], object]], str],
    change: dict[str, Any],
    path: str,
) -> None:
    spec = {**QUERY, **change}
    assert invalid_query_path(lambda: transitions(board, STAR, spec)) == path
