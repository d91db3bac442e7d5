"""Concurrent writers in threads: no lost update, ever, and the history stays a clean chain."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest

import nebula_kernel as nk

WRITERS = 16
INCREMENTS = 10


def _increment(store: nk.ResourceStore, errors: list[BaseException]) -> None:
    try:
        for _ in range(INCREMENTS):
            while True:
                current = store.get("Counter", "c")
                try:
                    store.put("Counter", "c", {"n": current.value["n"] + 1}, etag=current.etag)
                    break
                except nk.TransactionConflict:
                    continue
    except BaseException as exc:  # surfaced by the test thread below
        errors.append(exc)


@pytest.mark.timeout(120)
def test_read_modify_write_with_etags_loses_no_update(store_path: str) -> None:
    with nk.open_store(store_path) as store:
        store.define_type(
            "Counter",
            json_schema={
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "required": ["n"],
            },
        )
        store.put("Counter", "c", {"n": 0})
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_increment, args=(store, errors)) for _ in range(WRITERS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.get("Counter", "c").value["n"] == WRITERS * INCREMENTS
        history = store.history("Counter", "c")
        assert [h.value["n"] for h in history] == list(range(WRITERS * INCREMENTS + 1))
        assert [h.snapshot_number for h in history] == list(range(1, len(history) + 1))
        for older, newer in pairwise(history):
            assert older.valid_to == newer.valid_from
            assert older.valid_from < newer.valid_from
        assert store.last_seq() == WRITERS * INCREMENTS + 1


def test_racing_creates_with_must_not_exist_have_one_winner(store: nk.ResourceStore) -> None:
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(8)

    def create(name: str) -> None:
        barrier.wait()
        try:
            store.put("Task", "only", {"title": name}, etag=nk.MUST_NOT_EXIST)
            winners.append(name)
        except nk.TransactionConflict:
            losers.append(name)

    threads = [threading.Thread(target=create, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 7
    assert store.get("Task", "only").value["title"] == winners[0]
    assert len(store.history("Task", "only")) == 1
