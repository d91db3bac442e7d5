"""Put, get, delete, list, history, as-of and diff on a real DuckDB store."""

from __future__ import annotations

from datetime import timedelta

import pytest

import nebula_kernel as nk
from tests._helpers import ManualClock


def test_put_creates_the_first_snapshot(store: nk.ResourceStore, clock: ManualClock) -> None:
    created = store.put("Task", "t-1", {"title": "Write docs"})
    assert created.value == {"title": "Write docs", "state": "Ready", "points": None}
    assert created.snapshot_number == 1
    assert created.valid_from == clock.now()
    assert created.valid_to == nk.CURRENT_VALID_TO
    assert created.previous_values == {}
    assert created.changed_by == "local"
    assert created.schema_version == 1
    assert store.get("Task", "t-1") == created


def test_update_closes_the_previous_snapshot(store: nk.ResourceStore, clock: ManualClock) -> None:
    first = store.put("Task", "t-1", {"title": "a"})
    clock.advance(minutes=5)
    second = store.put("Task", "t-1", {"title": "a", "state": "Done", "points": 3})
    assert second.snapshot_number == 2
    assert second.etag != first.etag
    # state changed from "Ready"; points went from null to 3: an explicit null records that.
    assert second.previous_values == {"state": "Ready", "points": None}
    history = store.history("Task", "t-1")
    assert [h.snapshot_number for h in history] == [1, 2]
    assert history[0].valid_to == second.valid_from == clock.now()
    assert history[1].valid_to == nk.CURRENT_VALID_TO


def test_previous_values_name_added_removed_and_retyped_fields(store: nk.ResourceStore) -> None:
    store.define_type("Doc", json_schema={"type": "object"})
    store.put("Doc", "d", {"same": 1, "was_null": None, "removed": [1], "retyped": 1})
    second = store.put("Doc", "d", {"same": 1, "was_null": 2, "added": "x", "retyped": 1.0})
    # Added and formerly-null fields map to an explicit null; a removed field keeps its value;
    # 1 -> 1.0 is a change of type, so it counts.
    expected = {"was_null": None, "added": None, "removed": [1], "retyped": 1}
    assert second.previous_values == expected
    assert store.history("Doc", "d")[1].previous_values == expected


def test_as_of_reads_the_snapshot_valid_then(store: nk.ResourceStore, clock: ManualClock) -> None:
    store.put("Task", "t-1", {"title": "v1"})
    t1 = clock.now()
    clock.advance(hours=1)
    store.put("Task", "t-1", {"title": "v2"})
    t2 = clock.now()
    assert store.get("Task", "t-1", as_of=t1).value["title"] == "v1"
    assert store.get("Task", "t-1", as_of=t1 + timedelta(minutes=59)).value["title"] == "v1"
    assert store.get("Task", "t-1", as_of=t2).value["title"] == "v2"  # start is inclusive
    with pytest.raises(nk.ResourceNotFound):
        store.get("Task", "t-1", as_of=t1 - timedelta(microseconds=1))


def test_delete_closes_without_successor(store: nk.ResourceStore, clock: ManualClock) -> None:
    store.put("Task", "t-1", {"title": "a"})
    clock.advance(minutes=1)
    closed = store.delete("Task", "t-1")
    assert closed.valid_to == clock.now()
    with pytest.raises(nk.ResourceNotFound):
        store.get("Task", "t-1")
    history = store.history("Task", "t-1")
    assert len(history) == 1 and history[0].valid_to == clock.now()
    assert store.get("Task", "t-1", as_of=clock.now() - timedelta(seconds=30)).value["title"] == "a"
    with pytest.raises(nk.ResourceNotFound):
        store.delete("Task", "t-1")


def test_recreate_after_delete_continues_history(
    store: nk.ResourceStore, clock: ManualClock
) -> None:
    store.put("Task", "t-1", {"title": "a"})
    clock.advance(minutes=1)
    store.delete("Task", "t-1")
    clock.advance(minutes=1)
    again = store.put("Task", "t-1", {"title": "b"}, etag=nk.MUST_NOT_EXIST)
    assert again.snapshot_number == 2
    assert again.previous_values == {}  # nothing was current before it
    assert [h.value["title"] for h in store.history("Task", "t-1")] == ["a", "b"]


def test_list_returns_current_resources_in_order(store: nk.ResourceStore) -> None:
    for i in (3, 1, 2):
        store.put("Task", f"t-{i}", {"title": str(i)})
    store.delete("Task", "t-2")
    assert [r.id for r in store.list("Task")] == ["t-1", "t-3"]
    assert [r.id for r in store.list("Task", after="t-1")] == ["t-3"]
    assert [r.id for r in store.list(limit=1)] == ["t-1"]


def test_diff_between_two_moments(store: nk.ResourceStore, clock: ManualClock) -> None:
    store.put("Task", "t-1", {"title": "a", "points": 1})
    start = clock.now()
    clock.advance(minutes=1)
    store.put("Task", "t-1", {"title": "a", "points": 2, "state": "Done"})
    diff = store.diff("Task", "t-1", start, clock.now())
    assert diff.before is not None and diff.after is not None
    assert {(c.path, c.old, c.new, c.kind) for c in diff.changes} == {
        (("points",), 1, 2, "changed"),
        (("state",), "Ready", "Done", "changed"),
    }
    before_creation = store.diff("Task", "t-1", start - timedelta(days=1), start)
    assert before_creation.before is None
    assert {c.kind for c in before_creation.changes} == {"added"}


def test_values_round_trip_exactly(store: nk.ResourceStore) -> None:
    store.define_type("Doc", json_schema={"type": "object"})
    value = {
        "unicode": "ünï ☃ \u2028",
        "nested": {"list": [1, 2.5, None, True]},
        "big": 2**53,
        "quote": "'; DROP TABLE snapshots; --",
    }
    store.put("Doc", "d", value)
    assert store.get("Doc", "d").value == value


def test_reopening_a_file_keeps_everything(tmp_path: object, clock: ManualClock) -> None:
    path = f"{tmp_path}/reopen.duckdb"
    with nk.open_store(path, clock=clock) as store:
        store.define_type("Doc", json_schema={"type": "object", "required": ["n"]})
        store.create_star("acme.sales.dash")
        for n in range(3):
            clock.advance(seconds=1)
            store.put("Doc", "d", {"n": n})
        seq = store.last_seq()
    with nk.open_store(path, clock=clock) as store:
        assert store.stars() == ["acme.sales.dash", "local.lab.default"]
        assert store.types() == ["Doc"]
        assert store.last_seq() == seq == 3
        assert [h.value["n"] for h in store.history("Doc", "d")] == [0, 1, 2]
        with pytest.raises(nk.ValidationFailed):  # the persisted JSON Schema still validates
            store.put("Doc", "e", {})
        clock.advance(seconds=1)
        assert store.put("Doc", "d", {"n": 3}).snapshot_number == 4


def test_notebook_html_escapes_content(store: nk.ResourceStore) -> None:
    hostile = "<script>alert('x')</script>"
    first = store.put("Task", "t-1", {"title": hostile})
    second = store.put("Task", "t-1", {"title": "plain"}, etag=first.etag)
    html = second._repr_html_()
    assert "<script>" not in html and "Task/t-1" in html and "#2" in html
    assert "&lt;script&gt;" in html  # the old title, in "changed", escaped
