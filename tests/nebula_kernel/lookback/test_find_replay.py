"""Property: ``find`` with ``__At`` returns the state that replaying the history gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS
from nebula_kernel.lookback import find
from nebula_kernel.lookback._snapshot_writer import SnapshotWriter

STAR = "acme.replay.star"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
ENTITIES = ("a", "b", "c", "d")
STATES = ("Backlog", "Ready", "Done")

values = st.fixed_dictionaries(
    {"State": st.sampled_from(STATES)},
    optional={"Points": st.integers(min_value=0, max_value=5), "Blocked": st.booleans()},
)
# (entity, minutes since the previous event, new value or None for a delete)
events = st.lists(
    st.tuples(
        st.sampled_from(ENTITIES), st.integers(min_value=1, max_value=90), st.none() | values
    ),
    max_size=25,
)
simple_filters = st.one_of(
    st.just({}),
    st.sampled_from(STATES).map(lambda s: {"State": s}),
    st.integers(min_value=0, max_value=5).map(lambda p: {"Points": {"$gte": p}}),
    st.booleans().map(lambda b: {"Blocked": {"$exists": b}}),
    st.sampled_from(ENTITIES).map(lambda e: {"_Id": {"$ne": e}}),
    st.sampled_from(STATES).map(lambda s: {"State": s, "_PreviousValues.State": {"$exists": True}}),
)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    for statement in SCHEMA_STATEMENTS:
        connection.execute(statement)
    yield connection
    connection.close()


def _replay(
    history: list[tuple[str, datetime, dict[str, Any] | None]], at: datetime
) -> dict[str, tuple[dict[str, Any], int, set[str]]]:
    """id -> (value, snapshot number, fields changed by that snapshot) valid at ``at``."""
    state: dict[str, tuple[dict[str, Any], int, set[str]]] = {}
    numbers: dict[str, int] = {}
    for entity, when, value in history:
        if when > at:
            break
        if value is None:
            state.pop(entity, None)
            continue
        number = numbers[entity] = numbers.get(entity, 0) + 1
        old = state[entity][0] if entity in state else None
        changed = (
            set()
            if old is None
            else {k for k in {*old, *value} if old.get(k, ()) != value.get(k, ())}
        )
        state[entity] = (value, number, changed)
    return state


def _expected(
    state: dict[str, tuple[dict[str, Any], int, set[str]]], doc: dict[str, Any]
) -> set[str]:
    """The filter written out by hand for each of the simple shapes above."""
    out = set()
    for entity, (value, _, changed) in state.items():
        if "State" in doc and value["State"] != doc["State"]:
            continue
        if "Points" in doc and not value.get("Points", -1) >= doc["Points"]["$gte"]:
            continue
        if "Blocked" in doc and ("Blocked" in value) != doc["Blocked"]["$exists"]:
            continue
        if "_Id" in doc and entity == doc["_Id"]["$ne"]:
            continue
        if "_PreviousValues.State" in doc and "State" not in changed:
            continue
        out.add(entity)
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=events,
    probe=st.integers(min_value=-10, max_value=25 * 90 + 10),
    on_event=st.integers(min_value=-1, max_value=25),
    doc=simple_filters,
)
def test_find_at_matches_replay(
    con: duckdb.DuckDBPyConnection,
    events: list[tuple[str, int, dict[str, Any] | None]],
    probe: int,
    on_event: int,
    doc: dict[str, Any],
) -> None:
    """``on_event`` picks the instant of one event as the probe, where boundaries are."""
    con.execute("DELETE FROM snapshots")
    writer = SnapshotWriter(con, STAR)
    history: list[tuple[str, datetime, dict[str, Any] | None]] = []
    now = T0
    live: set[str] = set()
    for entity, gap, value in events:
        now += timedelta(minutes=gap)
        if value is None:
            if entity not in live:
                continue  # nothing to delete
            writer.delete("Story", entity, now)
            live.discard(entity)
        else:
            writer.put("Story", entity, value, now)
            live.add(entity)
        history.append((entity, now, value))
    at = history[on_event][1] if 0 <= on_event < len(history) else T0 + timedelta(minutes=probe)

    result = find(con, STAR, {"find": doc, "__At": at.isoformat()})

    state = _replay(history, at)
    assert {r["_Id"] for r in result.records()} == _expected(state, doc)
    assert result.total == len(result.records())
    for record in result.records():
        value, number, _ = state[record["_Id"]]
        assert record["_SnapshotNumber"] == number
        assert {k: v for k, v in record.items() if not k.startswith("_")} == value
