"""``find`` on a small hand-made history: filters, ``__At``, fields, sort, pages, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback import FindQuery, FindResult, find
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.analytics.sales"


def day(n: int) -> datetime:
    return datetime(2025, 1, n, tzinfo=UTC)


@pytest.fixture(params=["memory", "file"])
def con(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """s1: Ready (day 1) → Done (day 3); s2: Done (day 2), deleted day 4; d1: a Defect."""
    connection = duckdb.connect(":memory:" if request.param == "memory" else str(tmp_path / "db"))
    for statement in SCHEMA_STATEMENTS:
        connection.execute(statement)
    w = SnapshotWriter(connection, STAR)
    w.put("Story", "s1", {"State": "Ready", "Points": 3, "owner": {"team": "red"}}, day(1))
    w.put("Story", "s2", {"State": "Done", "Points": 5}, day(2))
    w.put("Story", "s1", {"State": "Done", "Points": 3, "owner": {"team": "red"}}, day(3))
    w.delete("Story", "s2", day(4))
    w.put("Defect", "d1", {"State": "Ready", "Points": "high"}, day(5), by="ann")
    # Rows of another star that would match everything below.
    other = SnapshotWriter(connection, "acme.analytics.other")
    other.put("Story", "s1", {"State": "Done", "Points": 3}, day(1))
    yield connection
    connection.close()


def ids(result: FindResult) -> list[str]:
    return [f"{r['_Id']}#{r['_SnapshotNumber']}" for r in result.records()]


def test_filter_over_all_history(con: duckdb.DuckDBPyConnection) -> None:
    result = find(con, STAR, {"find": {"State": "Done"}})
    assert ids(result) == ["s2#1", "s1#2"]
    assert result.total == 2 and result.start == 0 and result.pagesize == 100


def test_full_record_shape(con: duckdb.DuckDBPyConnection) -> None:
    (record,) = find(con, STAR, {"find": {"_Id": "s1", "_SnapshotNumber": 2}}).records()
    assert record == {
        "State": "Done",
        "Points": 3,
        "owner": {"team": "red"},
        "_Id": "s1",
        "_Type": "Story",
        "_ETag": "e3",
        "_ChangedBy": "tester",
        "_SnapshotNumber": 2,
        "_SchemaVersion": 1,
        "_ValidFrom": "2025-01-03T00:00:00Z",
        "_ValidTo": "9999-01-01T00:00:00Z",
        "_PreviousValues": {"State": "Ready"},
    }


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-12-31T00:00:00Z", []),
        ("2025-01-01T00:00:00Z", ["s1#1"]),  # valid_from is inclusive
        ("2025-01-02T12:00:00+02:00", ["s1#1", "s2#1"]),
        ("2025-01-03T00:00:00Z", ["s2#1", "s1#2"]),  # valid_to is exclusive
        ("2025-01-04T00:00:00Z", ["s1#2"]),  # s2 is deleted
        ("2025-01-05T00:00:00Z", ["s1#2", "d1#1"]),
        ("current", ["s1#2", "d1#1"]),
    ],
)
def test_at_an_instant(con: duckdb.DuckDBPyConnection, at: str, expected: list[str]) -> None:
    assert ids(find(con, STAR, {"__At": at})) == expected


def test_type_and_transition_filters(con: duckdb.DuckDBPyConnection) -> None:
    assert ids(find(con, STAR, {"find": {"_Type": "Defect"}})) == ["d1#1"]
    transitions = {"State": "Done", "_PreviousValues.State": {"$exists": True, "$ne": "Done"}}
    assert ids(find(con, STAR, {"find": transitions})) == ["s1#2"]
    closed = {
        "_ValidTo": {"$lt": "9999-01-01T00:00:00Z"},
        "_ValidFrom": {"$gte": "2025-01-02T00:00:00Z"},
    }
    assert ids(find(con, STAR, {"find": closed})) == ["s2#1"]


def test_fields_projection(con: duckdb.DuckDBPyConnection) -> None:
    result = find(
        con,
        STAR,
        {
            "find": {"_Type": "Story"},
            "__At": "current",
            "fields": ["owner.team", "State", "_ValidFrom"],
        },
    )
    assert result.records() == [
        {"owner.team": "red", "State": "Done", "_ValidFrom": "2025-01-03T00:00:00Z"}
    ]
    missing = find(con, STAR, {"find": {"_Id": "d1"}, "fields": ["owner.team", "_Id"]})
    assert missing.records() == [{"_Id": "d1"}]  # an absent field is left out, not null
    previous = find(con, STAR, {"find": {"_Id": "s1"}, "fields": ["_PreviousValues"]})
    assert previous.records() == [{"_PreviousValues": {}}, {"_PreviousValues": {"State": "Ready"}}]


def test_sort_follows_mongodb_type_order(con: duckdb.DuckDBPyConnection) -> None:
    # Points: s1 3, s2 5, s1 3, d1 "high": numbers before strings; ties broken by commit order.
    ascending = find(con, STAR, {"sort": {"Points": 1}})
    assert ids(ascending) == ["s1#1", "s1#2", "s2#1", "d1#1"]
    descending = find(con, STAR, {"sort": {"Points": -1, "_ValidFrom": -1}})
    assert ids(descending) == ["d1#1", "s2#1", "s1#2", "s1#1"]
    by_meta = find(con, STAR, {"sort": {"_ChangedBy": 1, "_Id": -1}})
    assert ids(by_meta) == ["d1#1", "s2#1", "s1#1", "s1#2"]


def test_pages(con: duckdb.DuckDBPyConnection) -> None:
    first = find(con, STAR, {"pagesize": 3})
    second = find(con, STAR, {"pagesize": 3, "start": 3, "read_point": first.read_point})
    assert (first.total, second.total) == (4, 4)
    assert ids(first) + ids(second) == ["s1#1", "s2#1", "s1#2", "d1#1"]
    past_the_end = find(con, STAR, {"start": 10})
    assert (past_the_end.records(), past_the_end.total) == ([], 4)
    nothing = find(con, STAR, {"find": {"State": "Gone"}, "__At": "current"})
    assert (nothing.records(), nothing.total) == ([], 0)


def test_query_model_is_accepted_as_is(con: duckdb.DuckDBPyConnection) -> None:
    query = FindQuery.model_validate({"find": {"_Id": "d1"}, "__At": "current"})
    assert ids(find(con, STAR, query)) == ["d1#1"]


def test_star_isolation(con: duckdb.DuckDBPyConnection) -> None:
    assert find(con, "acme.analytics.nobody", {}).total == 0
    assert ids(find(con, "acme.analytics.other", {})) == ["s1#1"]


def test_arrow_and_pandas(con: duckdb.DuckDBPyConnection) -> None:
    import pyarrow

    result = find(con, STAR, {"fields": ["_Id", "Points", "owner", "_ValidTo"], "sort": {"_Id": 1}})
    table = result.to_arrow()
    assert table.column_names == ["_Id", "Points", "_ValidTo", "owner"]
    assert table.column("_Id").to_pylist() == ["d1", "s1", "s1", "s2"]
    # Points mixes strings and numbers, owner is an object: both become JSON text.
    assert table.column("Points").to_pylist() == ['"high"', "3", "3", "5"]
    assert table.column("owner").to_pylist() == [None, '{"team": "red"}', '{"team": "red"}', None]
    assert pyarrow.types.is_timestamp(table.schema.field("_ValidTo").type)
    frame = result.to_pandas()
    assert list(frame["_Id"]) == ["d1", "s1", "s1", "s2"]
    assert frame["_ValidTo"].iloc[3] == datetime(2025, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "path", "fragment"),
    [
        ({"finder": {}}, "finder", "unknown key; use one of find, __At, fields"),
        ({"pagesize": 10_001}, "pagesize", "less than or equal to 10000"),
        ({"pagesize": 0}, "pagesize", "greater than or equal to 1"),
        ({"start": -1}, "start", "greater than or equal to 0"),
        ({"sort": {"Points": 2}}, "sort.Points", "1 or -1"),
        ({"sort": {"_bad": 1}}, "sort._bad", "unknown meta field"),
        ({"fields": ["a..b"]}, "fields.0", "invalid path segment"),
        ({"fields": "State"}, "fields", "valid list"),
        ({"__At": "yesterday"}, "__At", "ISO 8601"),
        ({"__At": "2025-01-01T00:00:00"}, "__At", "time zone"),
        ({"find": {"State": {"$gtx": 1}}}, "find.State.$gtx", "unknown operator '$gtx'"),
        ({"find": []}, "find", "valid dictionary"),
        ({"read_point": "latest"}, "read_point", "pass back the read_point"),
        ({"read_point": "1:999999999999999999"}, "read_point", "out of range"),
    ],
)
def test_invalid_queries(
    con: duckdb.DuckDBPyConnection, query: dict[str, Any], path: str, fragment: str
) -> None:
    with pytest.raises(InvalidQuery) as caught:
        find(con, STAR, query)
    assert caught.value.details["path"] == path
    assert caught.value.message.startswith(path + ": ")
    assert fragment in caught.value.message
