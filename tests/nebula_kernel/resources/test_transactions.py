"""Transactions: all-or-nothing, eTag preconditions, conflicts that name every failed item."""

from __future__ import annotations

import pytest

import nebula_kernel as nk


def test_mixed_transaction_commits_atomically(store: nk.ResourceStore) -> None:
    a = store.put("Task", "a", {"title": "a"})
    store.put("Task", "b", {"title": "b"})
    with store.transaction() as tx:
        tx.put("Task", "a", {"title": "a2"}, etag=a.etag)
        tx.put("Task", "c", {"title": "c"}, etag=nk.MUST_NOT_EXIST)
        tx.delete("Task", "b")
    assert [r.value.get("title") for r in tx.results] == ["a2", "c", "b"]
    assert len({r.valid_from for r in tx.results[:2]}) == 1  # one moment for the whole batch
    assert [r.id for r in store.list("Task")] == ["a", "c"]
    assert store.last_seq() == 5  # two creates, then one change per op


def test_conflict_lists_every_failed_item_and_changes_nothing(store: nk.ResourceStore) -> None:
    a = store.put("Task", "a", {"title": "a"})
    b = store.put("Task", "b", {"title": "b"})
    store.put("Task", "a", {"title": "a-moved-on"})
    before = store.last_seq()
    with pytest.raises(nk.TransactionConflict) as caught:
        store.commit(
            [
                nk.Put("Task", "a", {"title": "mine"}, etag=a.etag),  # stale
                nk.Put("Task", "b", {"title": "fine"}, etag=b.etag),  # would pass
                nk.Put("Task", "b2", {"title": "x"}, etag="no-such-etag"),  # absent
                nk.Put("Task", "new", {"title": "n"}, etag=nk.MUST_NOT_EXIST),  # would pass
            ]
        )
    error = caught.value
    current_a = store.get("Task", "a").etag
    assert {(i.id, i.current_etag) for i in error.items} == {("a", current_a), ("b2", None)}
    assert error.to_dict()["code"] == "transaction_conflict"
    assert store.last_seq() == before
    assert store.get("Task", "b").value["title"] == "b"
    with pytest.raises(nk.ResourceNotFound):
        store.get("Task", "new")


def test_must_not_exist_refuses_an_existing_resource(store: nk.ResourceStore) -> None:
    store.put("Task", "a", {"title": "a"})
    with pytest.raises(nk.TransactionConflict) as caught:
        store.put("Task", "a", {"title": "again"}, etag=nk.MUST_NOT_EXIST)
    assert caught.value.items[0].expected == "absent"


def test_a_failing_block_commits_nothing(store: nk.ResourceStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.put("Task", "a", {"title": "a"})
        raise RuntimeError("changed my mind")
    assert store.list("Task") == []


def test_the_same_resource_twice_is_refused(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.InvalidRequest, match="appears twice"):
        store.commit([nk.Put("Task", "a", {"title": "1"}), nk.Delete("Task", "a")])


def test_an_invalid_item_fails_the_whole_transaction(store: nk.ResourceStore) -> None:
    with pytest.raises(nk.ValidationFailed) as caught:
        store.commit(
            [
                nk.Put("Task", "ok", {"title": "fine"}),
                nk.Put("Task", "bad", {"title": 7, "points": "many"}),
            ]
        )
    assert {e.location for e in caught.value.errors} == {"Task/bad.title", "Task/bad.points"}
    assert store.list("Task") == []
