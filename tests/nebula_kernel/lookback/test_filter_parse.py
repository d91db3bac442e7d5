"""Filter parsing: what is accepted, and errors that point at the offending part."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback import parse_filter
from nebula_kernel.lookback._filter_tree import And, Compare, Exists, In, Not, Or, Regex


def _error(doc: dict[str, Any]) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        parse_filter(doc)
    return caught.value


@pytest.mark.parametrize(
    ("doc", "path", "fragment"),
    [
        ({"State": {"$gtx": 1}}, "find.State.$gtx", "unknown operator '$gtx'"),
        ({"$xor": []}, "find.$xor", "unknown operator '$xor'"),
        ({"State": {"$in": "Done"}}, "find.State.$in", "needs a list"),
        ({"State": {"$nin": {"a": 1}}}, "find.State.$nin", "needs a list"),
        ({"State": {"$exists": 1}}, "find.State.$exists", "true or false"),
        ({"State": {"$regex": 5}}, "find.State.$regex", "string pattern"),
        ({"State": {"$regex": "a(?=b)"}}, "find.State.$regex", "unsupported group"),
        ({"State": {"$regex": "\\1"}}, "find.State.$regex", "unsupported escape"),
        ({"State": {"$regex": "a", "$options": "m"}}, "find.State.$regex", "$options"),
        ({"State": {"$options": "i"}}, "find.State.$options", "goes with $regex"),
        ({"_ValidFrom": {"$gte": "2025-01-01"}}, "find._ValidFrom.$gte", "time zone"),
        ({"_ValidFrom": "yesterday"}, "find._ValidFrom", "ISO 8601"),
        ({"_ValidTo": {"$in": ["2025-01-01T00:00:00Z", 3]}}, "find._ValidTo.$in.1", "ISO"),
        ({"_SnapshotNumber": "3"}, "find._SnapshotNumber", "an integer"),
        ({"_Id": 3}, "find._Id", "a string"),
        ({"_SnapshotNumber": {"$regex": "3"}}, "find._SnapshotNumber.$regex", "text"),
        ({"owner..team": 1}, "find.owner..team", "invalid path segment ''"),
        ({"owner.$x": 1}, "find.owner.$x", "invalid path segment '$x'"),
        ({"_validFrom": 1}, "find._validFrom", "unknown meta field"),
        ({"_PreviousValues": {"$exists": True}}, "find._PreviousValues", "name a field"),
        ({"_Id.x": "a"}, "find._Id.x", "no sub-fields"),
        ({"tags": ["a"]}, "find.tags", "arrays and objects"),
        ({"State": {"$gt": None}}, "find.State.$gt", "null only compares"),
        ({"Done": {"$lt": True}}, "find.Done.$lt", "booleans only"),
        ({"Points": {"$gt": 10**400}}, "find.Points.$gt", "out of range"),
        ({"$or": [{"a": 1}, {"b": {"$eq": [1]}}]}, "find.$or.1.b.$eq", "arrays"),
        ({"$and": []}, "find.$and", "non-empty list"),
        ({"$nor": [3]}, "find.$nor.0", "must be an object"),
        ({"a": {"$not": 3}}, "find.a.$not", "object of operators"),
        ({"a": {"$gt": 1, "b": 2}}, "find.a.b", "not field names"),
        ({"a" + ".b" * 16: 1}, "find.a" + ".b" * 16, "at most 16"),
    ],
)
def test_filter_errors_point_at_the_offending_part(
    doc: dict[str, Any], path: str, fragment: str
) -> None:
    error = _error(doc)
    assert error.details["path"] == path
    assert error.message.startswith(path + ": ")
    assert fragment in error.message


def test_unknown_operator_lists_the_known_ones() -> None:
    assert "use one of $eq, $gt" in _error({"State": {"$gtx": 1}}).message


def test_too_deep_and_too_large_filters_are_refused() -> None:
    deep: dict[str, Any] = {"a": 1}
    for _ in range(20):
        deep = {"$and": [deep]}
    assert "nested deeper" in _error(deep).message
    wide = {"$or": [{"a": n} for n in range(600)]}
    assert "more than 500 conditions" in _error(wide).message
    assert "at most 1000 values" in _error({"a": {"$in": list(range(1001))}}).message


def test_parsed_tree_shape() -> None:
    f = parse_filter(
        {
            "State": "Done",
            "_PreviousValues.State": {"$exists": True, "$ne": "Done"},
            "Points": {"$nin": [1, 2]},
            "$or": [{"tags.0": {"$regex": "^x", "$options": "i"}}, {"_SnapshotNumber": 0}],
            "_ValidFrom": {"$lt": "2025-03-01T01:00:00+01:00"},
        }
    )
    assert isinstance(f.root, And)
    state, previous, points, either, valid_from = f.root.children
    assert isinstance(state, Compare) and state.operand == "Done" and state.op == "eq"
    assert isinstance(previous, And)
    exists, ne = previous.children
    assert isinstance(exists, Exists) and exists.present
    assert exists.path.json_column == "previous_values" and exists.path.segments == ("State",)
    assert isinstance(ne, Not) and isinstance(ne.child, Compare)
    assert isinstance(points, Not) and isinstance(points.child, In)
    assert points.child.operands == (1.0, 2.0)
    assert isinstance(either, Or)
    regex = either.children[0]
    assert isinstance(regex, Regex) and regex.path.segments == ("tags", 0)
    assert regex.path.json_path == '$."tags"[0]'
    assert isinstance(valid_from, Compare)
    assert valid_from.operand == datetime(2025, 3, 1, tzinfo=UTC)
    assert [p.dotted for p in f.paths] == [
        "State",
        "_PreviousValues.State",
        "Points",
        "tags.0",
        "_SnapshotNumber",
        "_ValidFrom",
    ]


def test_empty_filter_is_always_true() -> None:
    assert parse_filter({}).is_always_true
    assert not parse_filter({"a": 1}).is_always_true


def test_location_prefix_is_configurable() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_filter({"a": {"$bad": 1}}, location="timeseries.filter")
    assert caught.value.details["path"] == "timeseries.filter.a.$bad"
