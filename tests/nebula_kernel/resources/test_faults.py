"""Injected storage faults: a commit that fails mid-write leaves nothing behind, and the store
keeps working afterwards with consistent sequences, snapshot numbers and caches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

import nebula_kernel as nk
from nebula_kernel.drivers.duckdb import DuckDbResourceRepo
from nebula_kernel.ports import WriteBatch
from nebula_kernel.resources import ResourceStore
from tests._helpers import ManualClock


class FailingMidWrite(DuckDbResourceRepo):
    """Fails the next batch after its first statement ran inside the DuckDB transaction: a
    snapshot is sent twice, which its primary key refuses after the closes were written."""

    fail_next = False

    def apply(self, batch: WriteBatch) -> None:
        if self.fail_next:
            self.fail_next = False
            batch = replace(batch, snapshots=[*batch.snapshots, batch.snapshots[0]])
        super().apply(batch)


@pytest.fixture
def faulty(tmp_path: object, clock: ManualClock) -> Iterator[tuple[ResourceStore, FailingMidWrite]]:
    repo = FailingMidWrite(f"{tmp_path}/faulty.duckdb")
    with ResourceStore(repo, clock=clock) as store:
        store.define_type("Doc", json_schema={"type": "object"})
        yield store, repo


def test_failed_commit_writes_nothing_and_store_recovers(
    faulty: tuple[ResourceStore, FailingMidWrite], clock: ManualClock
) -> None:
    store, repo = faulty
    first = store.put("Doc", "d", {"v": 1})
    clock.advance(seconds=1)
    repo.fail_next = True
    with pytest.raises(nk.StoreError) as caught:
        store.commit([nk.Put("Doc", "d", {"v": 2}, etag=first.etag), nk.Put("Doc", "e", {"v": 1})])
    assert "nothing of this transaction was written" in caught.value.message
    assert "duckdb" not in caught.value.message.lower()  # no driver internals leak
    assert store.get("Doc", "d") == first
    with pytest.raises(nk.ResourceNotFound):
        store.get("Doc", "e")
    assert store.last_seq() == 1
    assert len(store.history("Doc", "d")) == 1 and store.history("Doc", "d")[0].is_current

    clock.advance(seconds=1)
    second = store.put("Doc", "d", {"v": 2}, etag=first.etag)
    assert second.snapshot_number == 2 and store.last_seq() == 2
    assert [h.value["v"] for h in store.history("Doc", "d")] == [1, 2]


def test_a_bug_while_staging_fails_the_batch_not_the_committer(
    store: nk.ResourceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault inside the committer thread (not in storage) must not leave writers waiting."""
    from nebula_kernel.resources._history import previous_values as real

    calls = {"n": 0}

    def fails_once(old: object, new: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("injected")
        return real(old, new)  # type: ignore[arg-type]

    first = store.put("Task", "t", {"title": "a"})
    monkeypatch.setattr("nebula_kernel.resources._committer.previous_values", fails_once)
    with pytest.raises(nk.StoreError, match="nothing of this transaction was written"):
        store.put("Task", "t", {"title": "b"}, etag=first.etag)
    assert store.get("Task", "t") == first
    second = store.put("Task", "t", {"title": "c"}, etag=first.etag)
    assert second.snapshot_number == 2 and store.last_seq() == 2
