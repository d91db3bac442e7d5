"""Subscriptions: scopes, gap-free sequences, resume, resync, async streams, slow consumers."""

from __future__ import annotations

import threading

import anyio
import pytest

import nebula_kernel as nk
from nebula_kernel.resources import StoreLimits


class Collector:
    def __init__(self, expected: int) -> None:
        self.events: list[nk.Change | nk.Resync] = []
        self._expected = expected
        self.done = threading.Event()

    def __call__(self, event: nk.Change | nk.Resync) -> None:
        self.events.append(event)
        if len(self.events) >= self._expected:
            self.done.set()

    def wait(self) -> list[nk.Change | nk.Resync]:
        assert self.done.wait(10), f"only {len(self.events)} events arrived"
        return self.events


def _changes(events: list[nk.Change | nk.Resync]) -> list[nk.Change]:
    out = [e for e in events if isinstance(e, nk.Change)]
    assert len(out) == len(events)
    return out


def test_star_subscription_sees_every_change_in_sequence(store: nk.ResourceStore) -> None:
    got = Collector(4)
    with store.subscribe(got):
        a = store.put("Task", "a", {"title": "a"})
        store.put("Task", "b", {"title": "b"})
        store.put("Task", "a", {"title": "a2"}, etag=a.etag)
        store.delete("Task", "b")
        events = _changes(got.wait())
    assert [(e.seq, e.op, e.id) for e in events] == [
        (1, "put", "a"),
        (2, "put", "b"),
        (3, "put", "a"),
        (4, "delete", "b"),
    ]
    assert events[2].resource.previous_values == {"title": "a"}
    assert events[3].resource.valid_to != nk.CURRENT_VALID_TO


@pytest.mark.parametrize(
    ("scope", "expected_ids"),
    [
        ({"type_name": "Note"}, ["n1"]),
        ({"type_name": "Task", "id_": "b"}, ["b"]),
        ({"where": lambda c: c.resource.value.get("state") == "Done"}, ["a"]),
    ],
)
def test_scoped_subscriptions(
    store: nk.ResourceStore, scope: dict[str, object], expected_ids: list[str]
) -> None:
    store.define_type("Note", json_schema={"type": "object"})
    got: list[nk.Change | nk.Resync] = []
    everything = Collector(3)  # one dispatcher delivers in order: when it has all, so has `got`
    with store.subscribe(got.append, **scope), store.subscribe(everything):  # type: ignore[arg-type]
        store.put("Task", "a", {"title": "a", "state": "Done"})
        store.put("Task", "b", {"title": "b"})
        store.put("Note", "n1", {})
        everything.wait()
    assert [e.id for e in _changes(got)] == expected_ids


def test_resume_from_a_sequence_gets_exactly_what_was_missed(store: nk.ResourceStore) -> None:
    for i in range(5):
        store.put("Task", f"t{i}", {"title": str(i)})
    got = Collector(4)
    with store.subscribe(got, since=2):
        store.put("Task", "t9", {"title": "live"})
        events = _changes(got.wait())
    assert [e.seq for e in events] == [3, 4, 5, 6]
    assert [e.id for e in events] == ["t2", "t3", "t4", "t9"]


def test_resume_racing_with_writers_has_no_gap_or_duplicate(store: nk.ResourceStore) -> None:
    for i in range(20):
        store.put("Task", f"pre{i}", {"title": "x"})
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 300:
            store.put("Task", f"live{n}", {"title": "x"})
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    got: list[nk.Change | nk.Resync] = []
    reached_end = threading.Event()
    final = 20 + 300

    def collect(event: nk.Change | nk.Resync) -> None:
        got.append(event)
        if event.seq == final:
            reached_end.set()

    sub = store.subscribe(collect, since=5)  # while the writer is writing
    thread.join()
    stop.set()
    assert store.last_seq() == final
    assert reached_end.wait(10)
    sub.close()
    assert [e.seq for e in got] == list(range(6, final + 1))


def test_too_far_behind_gets_a_resync(store_path: str) -> None:
    with nk.open_store(store_path, limits=StoreLimits(max_replay=3)) as store:
        store.define_type("Doc", json_schema={"type": "object"})
        for i in range(6):
            store.put("Doc", f"d{i}", {})
        got = Collector(2)
        with store.subscribe(got, since=1):
            store.put("Doc", "after", {})
            events = got.wait()
    assert isinstance(events[0], nk.Resync) and events[0].seq == 6
    assert isinstance(events[1], nk.Change) and events[1].seq == 7


def test_resuming_from_the_future_is_refused(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.InvalidRequest, match="latest change is 0"):
        store.subscribe(print, since=5)


def test_a_raising_callback_does_not_stop_delivery(store: nk.ResourceStore) -> None:
    got = Collector(2)

    def flaky(event: nk.Change | nk.Resync) -> None:
        got(event)
        if event.seq == 1:
            raise RuntimeError("subscriber bug")

    with store.subscribe(flaky):
        store.put("Task", "a", {"title": "a"})
        store.put("Task", "b", {"title": "b"})
        assert [e.seq for e in got.wait()] == [1, 2]


def test_async_stream_yields_changes_in_order(store: nk.ResourceStore) -> None:
    async def main() -> list[int]:
        seqs: list[int] = []
        async with store.changes(type_name="Task") as stream:
            await anyio.to_thread.run_sync(
                lambda: [store.put("Task", f"t{i}", {"title": "x"}) for i in range(3)]
            )
            async for event in stream:
                seqs.append(event.seq)
                if len(seqs) == 3:
                    break
        return seqs

    assert anyio.run(main) == [1, 2, 3]


def test_slow_async_consumer_is_bounded_and_told_to_resync(store_path: str) -> None:
    with nk.open_store(store_path, limits=StoreLimits(stream_buffer=4)) as store:
        store.define_type("Doc", json_schema={"type": "object"})

        async def main() -> list[nk.Change | nk.Resync]:
            out: list[nk.Change | nk.Resync] = []
            async with store.changes() as stream:
                await anyio.to_thread.run_sync(
                    lambda: store.commit([nk.Put("Doc", f"d{i}", {}) for i in range(10)])
                )
                await anyio.sleep(0.2)  # let the dispatcher overflow the buffer
                async for event in stream:
                    out.append(event)
                    if event.seq == 10:
                        break
            return out

        events = anyio.run(main)
    # The buffer held at most 4: the overflow became a Resync, then the rest followed in order.
    assert len(events) <= 4
    assert any(isinstance(e, nk.Resync) for e in events)
    assert events[-1].seq == 10
    assert [e.seq for e in events] == sorted(e.seq for e in events)


def test_closing_the_store_ends_streams(store_path: str) -> None:
    store = nk.open_store(store_path)

    async def main() -> int:
        count = 0
        stream = store.changes()
        await anyio.to_thread.run_sync(store.close)
        async for _ in stream:
            count += 1
        return count

    assert anyio.run(main) == 0


def test_filter_document_subscription(store: nk.ResourceStore) -> None:
    got: list[nk.Change | nk.Resync] = []
    everything = Collector(4)
    where = {"state": "Done", "points": {"$gte": 3}}
    with store.subscribe(got.append, where=where), store.subscribe(everything):
        store.put("Task", "a", {"title": "a", "state": "Done", "points": 5})
        store.put("Task", "b", {"title": "b", "state": "Done", "points": 1})
        store.put("Task", "c", {"title": "c", "state": "Ready", "points": 8})
        store.put("Task", "d", {"title": "d", "state": "Done", "points": 3})
        everything.wait()
    assert [e.id for e in _changes(got)] == ["a", "d"]


def test_invalid_filter_document_is_refused(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.InvalidQuery, match=r"\$gtx"):
        store.subscribe(print, where={"points": {"$gtx": 3}})
