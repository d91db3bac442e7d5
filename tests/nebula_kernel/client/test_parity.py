"""One suite, two modes: the embedded store and a Jupyter server's store behave the same."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest

import nebula_kernel as nk
from nebula_kernel.client import Resources


def test_write_read_history(anystore: Resources) -> None:
    created = anystore.put("Task", "t1", {"title": "a"}, etag=nk.MUST_NOT_EXIST)
    updated = anystore.put("Task", "t1", {"title": "b", "points": 3}, etag=created.etag)
    assert updated.previous_values == {"title": "a", "points": None}
    assert anystore.get("Task", "t1").value == {"title": "b", "points": 3}
    assert anystore.get("Task", "t1", as_of=created.valid_from).value == {"title": "a"}
    assert [h.snapshot_number for h in anystore.history("Task", "t1")] == [1, 2]
    diff = anystore.diff("Task", "t1", created.valid_from, updated.valid_from)
    assert {c.path for c in diff.changes} == {("title",), ("points",)}
    assert [r.id for r in anystore.list("Task")] == ["t1"]
    closed = anystore.delete("Task", "t1", etag=updated.etag)
    assert closed.valid_to > closed.valid_from
    with pytest.raises(nk.ResourceNotFound):
        anystore.get("Task", "t1")


def test_typed_errors_are_the_same(anystore: Resources) -> None:
    first = anystore.put("Task", "t", {"title": "a"})
    anystore.put("Task", "t", {"title": "b"})
    with pytest.raises(nk.TransactionConflict) as caught:
        anystore.put("Task", "t", {"title": "c"}, etag=first.etag)
    assert caught.value.items[0].id == "t" and caught.value.items[0].current_etag
    with pytest.raises(nk.ValidationFailed) as invalid:
        anystore.put("Task", "u", {"title": 5})
    assert invalid.value.errors[0].path[-1] == "title"
    with pytest.raises(nk.TypeNotFound):
        anystore.put("Nope", "x", {})
    with pytest.raises(nk.InvalidIdentifier):
        anystore.get("Task", "../etc")
    with pytest.raises(nk.StarNotFound):
        anystore.get("Task", "t", star="no.such.star")


def test_transactions(anystore: Resources) -> None:
    with anystore.transaction() as tx:
        tx.put("Task", "a", {"title": "a"}, etag=nk.MUST_NOT_EXIST)
        tx.put("Task", "b", {"title": "b"})
    assert [r.id for r in tx.results] == ["a", "b"]
    with pytest.raises(nk.TransactionConflict):
        anystore.commit([nk.Delete("Task", "a", etag="stale"), nk.Put("Task", "c", {"title": "c"})])
    assert [r.id for r in anystore.list("Task")] == ["a", "b"]


def test_subscriptions_and_resume(anystore: Resources) -> None:
    got: list[nk.Change | nk.Resync] = []
    arrived = threading.Event()

    def collect(event: nk.Change | nk.Resync) -> None:
        got.append(event)
        if len(got) == 2:
            arrived.set()

    with anystore.subscribe(collect, type_name="Task", where={"points": {"$gte": 3}}):
        anystore.put("Task", "low", {"title": "l", "points": 1})
        anystore.put("Task", "high", {"title": "h", "points": 5})
        anystore.put("Task", "higher", {"title": "h", "points": 8})
        assert arrived.wait(10)
    assert [(e.seq, e.id) for e in got if isinstance(e, nk.Change)] == [(2, "high"), (3, "higher")]
    resumed: list[nk.Change | nk.Resync] = []
    done = threading.Event()

    def collect_resumed(event: nk.Change | nk.Resync) -> None:
        resumed.append(event)
        done.set()

    with anystore.subscribe(collect_resumed, since=2):
        assert done.wait(10)
    assert [e.seq for e in resumed] == [3]
    assert isinstance(resumed[0], nk.Change) and resumed[0].resource.valid_from.tzinfo is not None
    assert resumed[0].resource.valid_from + timedelta(0) == resumed[0].at


def test_lookback_find_and_cube(anystore: Resources) -> None:
    for i, points in enumerate([3, 5, 8]):
        anystore.put("Task", f"t{i}", {"title": "x" if i else "y", "points": points})
    found = anystore.lookback.find(
        {
            "find": {"points": {"$gt": 3}},
            "__At": "current",
            "sort": {"points": 1},
            "fields": ["_Id", "points"],
        }
    )
    assert found.total == 2 and [r["_Id"] for r in found.records()] == ["t1", "t2"]
    cube = anystore.lookback.cube(
        {
            "dimensions": [{"field": "title"}],
            "totals": "none",
            "metrics": [{"as": "n", "f": "count"}],
        }
    )
    assert sorted((r["title"], r["n"]) for r in cube.records()) == [("x", 2), ("y", 1)]


def test_callbacks_run_on_the_subscribers_event_loop(anystore: Resources) -> None:
    """In a notebook the kernel's loop is running: callbacks must come back to it."""

    async def subscribe_and_write() -> tuple[int, list[int]]:
        threads: list[int] = []
        arrived = asyncio.Event()  # not thread-safe: setting it from elsewhere would hang

        def collect(event: nk.Change | nk.Resync) -> None:
            threads.append(threading.get_ident())
            arrived.set()

        with anystore.subscribe(collect, type_name="Task"):
            await asyncio.to_thread(anystore.put, "Task", "a", {"title": "a"})
            await asyncio.wait_for(arrived.wait(), 10)
        return threading.get_ident(), threads

    loop_thread, threads = asyncio.run(subscribe_and_write())
    assert threads == [loop_thread]


def test_async_change_streams_deliver_in_order_and_end_when_closed(anystore: Resources) -> None:
    async def consume() -> list[tuple[int, str]]:
        seen: list[tuple[int, str]] = []
        async with anystore.changes(type_name="Task") as stream:
            writer = asyncio.create_task(asyncio.to_thread(_write_three, anystore))
            async for event in stream:
                assert isinstance(event, nk.Change)
                seen.append((event.seq, event.id))
                if len(seen) == 3:
                    stream.close()  # iteration ends after what was already buffered
            await writer
        return seen

    assert asyncio.run(consume()) == [(1, "a"), (2, "b"), (3, "c")]


def _write_three(store: Resources) -> None:
    for name in "abc":
        store.put("Task", name, {"title": name})
