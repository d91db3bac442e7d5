"""Pages of one query read one moment, even while writers create, update and delete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.lookback import FindResult, find
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.analytics.sales"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[tuple[duckdb.DuckDBPyConnection, SnapshotWriter]]:
    """Ten stories r0..r9 created an hour apart, each with State 'Open' and Points = n."""
    con = duckdb.connect(":memory:")
    for statement in SCHEMA_STATEMENTS:
        con.execute(statement)
    writer = SnapshotWriter(con, STAR)
    for n in range(10):
        writer.put("Story", f"r{n}", {"State": "Open", "Points": n}, T0 + timedelta(hours=n))
    yield con, writer
    con.close()


def _all_pages(con: duckdb.DuckDBPyConnection, query: dict[str, Any], between: Any) -> list[Any]:
    """Read every page of ``query`` (3 per page), calling ``between()`` after each page."""
    first = find(con, STAR, {**query, "pagesize": 3})
    pages = [first]
    while pages[-1].start + 3 < first.total:
        between()
        pages.append(
            find(
                con,
                STAR,
                {
                    **query,
                    "pagesize": 3,
                    "start": pages[-1].start + 3,
                    "read_point": first.read_point,
                },
            )
        )
    assert {p.total for p in pages} == {first.total}
    assert {p.read_point for p in pages} == {first.read_point}
    return [(r["_Id"], r["_SnapshotNumber"], r["_ValidTo"]) for p in pages for r in p.records()]


def _once(con: duckdb.DuckDBPyConnection, query: dict[str, Any]) -> FindResult:
    return find(con, STAR, {**query, "pagesize": 100})


@pytest.mark.parametrize(
    "query",
    [
        {"__At": "current"},
        {"__At": "current", "sort": {"Points": -1}},
        {"find": {"State": "Open"}},
        {"find": {"_ValidTo": "9999-01-01T00:00:00Z"}},
        {"__At": "2025-01-01T05:30:00Z"},
    ],
)
def test_writes_between_pages_are_invisible(
    store: tuple[duckdb.DuckDBPyConnection, SnapshotWriter], query: dict[str, Any]
) -> None:
    con, writer = store
    expected = _once(con, query)
    clock = iter(T0 + timedelta(days=1, minutes=m) for m in range(100))
    victims = iter(range(10))

    def write() -> None:
        n = next(victims)
        writer.put("Story", f"r{n}", {"State": "Closed", "Points": 100 + n}, next(clock))
        writer.delete("Story", f"r{(n + 5) % 10}", next(clock))
        writer.put("Story", f"new{n}", {"State": "Open", "Points": -n}, next(clock))

    pages = _all_pages(con, query, write)
    assert pages == [(r["_Id"], r["_SnapshotNumber"], r["_ValidTo"]) for r in expected.records()]
    # Without the read point, the same query now sees the writes.
    assert _once(con, query).records() != expected.records()


def test_rows_closed_after_the_read_point_read_as_open(
    store: tuple[duckdb.DuckDBPyConnection, SnapshotWriter],
) -> None:
    con, writer = store
    first = find(con, STAR, {"find": {"_Id": "r3"}})
    writer.put("Story", "r3", {"State": "Closed", "Points": 3}, T0 + timedelta(days=2))
    writer.delete("Story", "r4", T0 + timedelta(days=3))
    again = find(
        con, STAR, {"find": {"_Id": {"$in": ["r3", "r4"]}}, "read_point": first.read_point}
    )
    assert [(r["_Id"], r["_ValidTo"]) for r in again.records()] == [
        ("r3", "9999-01-01T00:00:00Z"),
        ("r4", "9999-01-01T00:00:00Z"),
    ]
    now = find(con, STAR, {"find": {"_Id": {"$in": ["r3", "r4"]}}})
    assert [(r["_Id"], r["_SnapshotNumber"], r["_ValidTo"]) for r in now.records()] == [
        ("r3", 1, "2025-01-03T00:00:00Z"),
        ("r4", 1, "2025-01-04T00:00:00Z"),
        ("r3", 2, "9999-01-01T00:00:00Z"),
    ]
    assert now.read_point != first.read_point


def test_read_point_of_an_empty_star_sees_nothing_later(
    store: tuple[duckdb.DuckDBPyConnection, SnapshotWriter],
) -> None:
    con, _ = store
    empty = find(con, "acme.analytics.empty", {})
    assert (empty.total, empty.read_point) == (0, "0:0")
    SnapshotWriter(con, "acme.analytics.empty").put("Story", "x", {}, T0)
    assert find(con, "acme.analytics.empty", {"read_point": empty.read_point}).total == 0
    assert find(con, "acme.analytics.empty", {}).total == 1
