"""Filter semantics on hand-made snapshots: each case is checked in DuckDB and in Python."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.lookback import filter_matches, filter_sql, parse_filter
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.analytics.sales"
T0 = datetime(2025, 1, 1, tzinfo=UTC)

# id -> value; each resource gets one snapshot at T0, except "w2", updated at T1.
DOCS: dict[str, dict[str, Any]] = {
    "w1": {"State": "Done", "Points": 3, "owner": {"team": "red"}, "tags": ["x", "y"]},
    "w2": {"State": "Done", "Points": 5.5, "owner": {"team": "blue"}, "tags": []},
    "w3": {"State": "Ready", "Points": "3", "owner": None, "Blocked": True},
    "w4": {"State": None, "Points": 8, "tags": ["y"], "Blocked": False, "Name": "Ab c\n"},
    "w5": {"Points": 13, "Name": "abc", "n-1": 1},
}


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    for statement in SCHEMA_STATEMENTS:
        connection.execute(statement)
    writer = SnapshotWriter(connection, STAR)
    for id_, value in DOCS.items():
        writer.put("Story", id_, value, T0)
    writer.put("Story", "w2", {**DOCS["w2"], "State": "Accepted"}, datetime(2025, 2, 1, tzinfo=UTC))
    # Another star's row that every filter below would match: it must never show up.
    SnapshotWriter(connection, "other.star.x").put("Story", "w9", {"State": "Done"}, T0)
    yield connection
    connection.close()


def _records(con: duckdb.DuckDBPyConnection) -> list[tuple[int, dict[str, Any]]]:
    import json

    rows = con.execute(
        "SELECT sid, value, previous_values, id, snapshot_number, valid_from, valid_to "
        "FROM snapshots WHERE star = ? ORDER BY sid",
        [STAR],
    ).fetchall()
    return [
        (
            sid,
            {
                **json.loads(value),
                "_PreviousValues": json.loads(previous),
                "_Id": id_,
                "_SnapshotNumber": number,
                "_ValidFrom": valid_from,
                "_ValidTo": valid_to.isoformat(),
            },
        )
        for sid, value, previous, id_, number, valid_from, valid_to in rows
    ]


def _matching_ids(con: duckdb.DuckDBPyConnection, doc: dict[str, Any]) -> list[str]:
    """The ids (with the snapshot number when above 1) matched by DuckDB; Python must agree."""
    f = parse_filter(doc)
    sql, params = filter_sql(f)
    rows = con.execute(
        "SELECT id, snapshot_number FROM snapshots WHERE star = ? AND " + sql + " ORDER BY sid",
        [STAR, *params],
    ).fetchall()
    in_sql = [f"{i}#{n}" if n > 1 else i for i, n in rows]
    in_python = [
        f"{r['_Id']}#{r['_SnapshotNumber']}" if r["_SnapshotNumber"] > 1 else r["_Id"]
        for _, r in _records(con)
        if filter_matches(f, r)
    ]
    assert in_sql == in_python
    return in_sql


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"State": "Done"}, ["w1", "w2"]),
        ({"Points": 3}, ["w1"]),  # the string "3" is not the number 3
        ({"Points": "3"}, ["w3"]),
        ({"Points": {"$gte": 5}}, ["w2", "w4", "w5", "w2#2"]),
        ({"Points": {"$lt": "4"}}, ["w3"]),
        ({"State": None}, ["w4", "w5"]),  # null also matches a missing field
        ({"State": {"$exists": False}}, ["w5"]),
        ({"State": {"$exists": True}}, ["w1", "w2", "w3", "w4", "w2#2"]),
        ({"State": {"$ne": "Done"}}, ["w3", "w4", "w5", "w2#2"]),
        ({"State": {"$ne": None}}, ["w1", "w2", "w3", "w2#2"]),
        ({"State": {"$in": ["Ready", None]}}, ["w3", "w4", "w5"]),
        ({"State": {"$nin": ["Done", "Accepted"]}}, ["w3", "w4", "w5"]),
        ({"Points": {"$in": [3, "3", True]}}, ["w1", "w3"]),
        ({"Blocked": True}, ["w3"]),
        ({"Blocked": False}, ["w4"]),
        ({"owner.team": "red"}, ["w1"]),
        ({"owner.team": {"$exists": True}}, ["w1", "w2", "w2#2"]),
        ({"owner": None}, ["w3", "w4", "w5"]),
        ({"tags.0": "y"}, ["w4"]),
        ({"tags.1": {"$exists": True}}, ["w1"]),
        ({"tags.x": {"$exists": True}}, []),  # a name segment does not index an array
        ({"n-1": 1}, ["w5"]),
        ({"Name": {"$regex": "^ab"}}, ["w5"]),
        ({"Name": {"$regex": "^ab", "$options": "i"}}, ["w4", "w5"]),
        ({"Name": {"$regex": "c$"}}, ["w5"]),  # '$' is the end of the string, not before "\n"
        ({"Name": {"$regex": "b\\sc"}}, ["w4"]),
        ({"Name": {"$regex": "[a-c]{3}"}}, ["w5"]),
        ({"State": {"$not": {"$in": ["Done", "Ready"]}}}, ["w4", "w5", "w2#2"]),
        ({"$or": [{"State": "Ready"}, {"Points": 13}]}, ["w3", "w5"]),
        ({"$nor": [{"State": "Done"}, {"Points": {"$gt": 6}}]}, ["w3", "w2#2"]),
        ({"$not": {"State": "Done"}}, ["w3", "w4", "w5", "w2#2"]),
        ({"_Id": {"$in": ["w1", "w5"]}}, ["w1", "w5"]),
        ({"_Id": {"$regex": "[45]"}}, ["w4", "w5"]),
        ({"_SnapshotNumber": {"$gt": 1}}, ["w2#2"]),
        ({"_ValidFrom": {"$gte": "2025-01-15T00:00:00Z"}}, ["w2#2"]),
        ({"_ValidTo": {"$lt": "2025-02-01T01:00:00+01:00"}}, []),
        ({"_ValidTo": "2025-02-01T00:00:00Z"}, ["w2"]),
        ({"_PreviousValues.State": "Done"}, ["w2#2"]),
        (
            {"State": "Accepted", "_PreviousValues.State": {"$exists": True, "$ne": "Accepted"}},
            ["w2#2"],
        ),
        ({"_PreviousValues.Points": {"$exists": True}}, []),
        ({}, ["w1", "w2", "w3", "w4", "w5", "w2#2"]),
    ],
)
def test_filter_semantics(
    con: duckdb.DuckDBPyConnection, doc: dict[str, Any], expected: list[str]
) -> None:
    assert _matching_ids(con, doc) == expected
