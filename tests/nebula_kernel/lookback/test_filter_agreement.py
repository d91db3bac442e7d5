"""Property: ``filter_sql`` in DuckDB and ``filter_matches`` in Python select the same rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.lookback import filter_matches, filter_sql, parse_filter

STAR = "s.t.u"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
KEYS = ("a", "b", "c-d")
PATHS = (
    "a",
    "b",
    "c-d",
    "a.b",
    "a.a",
    "a.0",
    "b.1",
    "a.b.a",
    "_PreviousValues.a",
    "_PreviousValues.b.0",
)
META_PATHS = ("_Id", "_SnapshotNumber", "_ValidFrom", "_ValidTo")
REGEXES = (
    "^a",
    "b$",
    "a.c",
    "[a-c]+",
    "\\d",
    "^$",
    "A",
    "(a|b)c",
    "\\s",
    "a{2}",
    "[^a]",
    "\\$",
    "\\W",
    "^[0-9]+$",
    "é",
    "(?:ab)*?c",
    "\\.",
    "[ab]$",
    "a\\s?$",
)

texts = st.sampled_from(["1", "-2", "0.5", "true", "null"]) | st.text(
    alphabet='abcAB1 é.$\n"\\/\t😀', max_size=5
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.sampled_from([2**53 + 1, 2**63 + 7, -(2**63), 10**20]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.5, -1.5, 3.0, 1e300]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)
documents = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3)


def _operand(path: str) -> st.SearchStrategy[Any]:
    if path == "_Id":
        return st.sampled_from(["r0", "r1", "r2", "zz"])
    if path == "_SnapshotNumber":
        return st.integers(min_value=-1, max_value=4)
    if path in ("_ValidFrom", "_ValidTo"):
        return st.integers(min_value=-2, max_value=12).map(
            lambda h: (T0 + timedelta(hours=h)).isoformat()
        )
    return scalars


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    # Top-level keys half of the time: that is where documents most often hold a value.
    path = draw(st.sampled_from(KEYS) | st.sampled_from(PATHS + META_PATHS))
    operand = _operand(path)
    ops = ["$eq", "$ne", "$in", "$nin", "$exists", "$not"]
    ops += ["$gt", "$gte", "$lt", "$lte"]
    if path not in META_PATHS or path == "_Id":
        ops.append("$regex")
    op = draw(st.sampled_from(ops))
    if op in ("$gt", "$gte", "$lt", "$lte"):
        value = draw(operand.filter(lambda v: v is None or not isinstance(v, bool)))
        if value is None:
            value = 0
        return {path: {op: value}}
    if op in ("$in", "$nin"):
        return {path: {op: draw(st.lists(operand, max_size=3))}}
    if op == "$exists":
        return {path: {op: draw(st.booleans())}}
    if op == "$regex":
        return {
            path: {op: draw(st.sampled_from(REGEXES)), "$options": draw(st.sampled_from(["", "i"]))}
        }
    if op == "$not":
        return {path: {"$not": {"$in": draw(st.lists(operand, min_size=1, max_size=2))}}}
    return {path: {op: draw(operand)}} if draw(st.booleans()) else {path: draw(operand)}


filters = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda c: {"$and": c}),
        st.lists(inner, min_size=1, max_size=3).map(lambda c: {"$or": c}),
        st.lists(inner, min_size=1, max_size=2).map(lambda c: {"$nor": c}),
        inner.map(lambda c: {"$not": c}),
    ),
    max_leaves=5,
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    for statement in SCHEMA_STATEMENTS:
        connection.execute(statement)
    yield connection
    connection.close()


def _rows(docs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[list[Any]]:
    """One snapshot per (value, previous values); ids and times vary with the position."""
    return [
        [
            n,
            n,
            STAR,
            "T",
            f"r{n % 3}",
            n % 4,
            T0 + timedelta(hours=n),
            T0 + timedelta(hours=n + 3),
            json.dumps(value),
            json.dumps(previous),
            "e",
            "u",
            1,
        ]
        for n, (value, previous) in enumerate(docs)
    ]


def _record(row: list[Any]) -> dict[str, Any]:
    return {
        **json.loads(row[8]),
        "_PreviousValues": json.loads(row[9]),
        "_Id": row[4],
        "_SnapshotNumber": row[5],
        "_ValidFrom": row[6].isoformat(),
        "_ValidTo": row[7],
    }


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=filters, docs=st.lists(st.tuples(documents, documents), min_size=1, max_size=10))
def test_sql_and_python_agree(
    con: duckdb.DuckDBPyConnection,
    doc: dict[str, Any],
    docs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    f = parse_filter(doc)
    sql, params = filter_sql(f)
    rows = _rows(docs)
    con.execute("DELETE FROM snapshots")
    con.executemany(
        "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, row[0]) for row in rows],
    )
    in_sql = [
        sid
        for (sid,) in con.execute(
            "SELECT sid FROM snapshots WHERE " + sql + " ORDER BY sid", params
        ).fetchall()
    ]
    in_python = [row[0] for row in rows if filter_matches(f, _record(row))]
    assert in_sql == in_python, (sql, params)
