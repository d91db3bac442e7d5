"""Lookback through the store: real writes, then find and an aggregation, with authorization."""

from __future__ import annotations

from datetime import timedelta

import pytest

import nebula_kernel as nk
from tests._helpers import ManualClock


def test_find_sees_what_the_store_wrote(store: nk.ResourceStore, clock: ManualClock) -> None:
    store.put("Task", "a", {"title": "a", "state": "Ready", "points": 3})
    store.put("Task", "b", {"title": "b", "state": "Ready", "points": 5})
    before = clock.now()
    clock.advance(hours=1)
    store.put("Task", "a", {"title": "a", "state": "Done", "points": 3})
    now = store.lookback.find({"find": {"_Type": "Task", "state": "Done"}, "__At": "current"})
    assert [r["_Id"] for r in now.records()] == ["a"]
    then = store.lookback.find(
        {"find": {"state": "Done"}, "__At": (before + timedelta(minutes=1)).isoformat()}
    )
    assert then.total == 0
    moved = store.lookback.find({"find": {"state": "Done", "_PreviousValues.state": "Ready"}})
    assert [(r["_Id"], r["_SnapshotNumber"]) for r in moved.records()] == [("a", 2)]


def test_lookback_is_authorized(store: nk.ResourceStore) -> None:
    store.create_star("acme.sales.dash")
    store.define_type("Task", json_schema={"type": "object"}, star="acme.sales.dash")
    stranger = nk.Principal("sam", {"other.*": "owner"})
    with pytest.raises(nk.Forbidden):
        store.lookback.find({"find": {}}, star="acme.sales.dash", principal=stranger)
    viewer = nk.Principal("vera", {"acme.*": "viewer"})
    assert store.lookback.find({"find": {}}, star="acme.sales.dash", principal=viewer).total == 0
    # Guards cannot run inside DuckDB: a guarded star's history needs the admin role.
    store.add_guard("Task", lambda req: True, star="acme.sales.dash")
    with pytest.raises(nk.Forbidden, match="admin"):
        store.lookback.find({"find": {}}, star="acme.sales.dash", principal=viewer)
    admin = nk.Principal("ada", {"acme.*": "admin"})
    assert store.lookback.find({"find": {}}, star="acme.sales.dash", principal=admin).total == 0
