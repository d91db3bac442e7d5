"""The DuckDB journal driver and the group-commit writer: CAS, leases, order, failure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nebula_kernel.drivers.blobs_fs import FsBlobStore
from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo
from nebula_kernel.errors import InvalidIdentifier, StoreError
from nebula_kernel.ports import ExecutionRow, JournalOp
from nebula_kernel.workflows._writer import JournalWriter

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "file"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DuckDbExecutionRepo]:
    path = ":memory:" if request.param == "memory" else tmp_path / "j.duckdb"
    opened = DuckDbExecutionRepo.open(path)
    yield opened
    opened.close()


def _row(execution_id: str, holder: str | None = "w1") -> ExecutionRow:
    until = T0 + timedelta(seconds=30) if holder else None
    return ExecutionRow(execution_id, "wf", "running", T0, T0, holder, until)


def test_entries_keep_submission_order_and_cas_guards_status(repo: DuckDbExecutionRepo) -> None:
    writer = JournalWriter(repo)
    assert writer.create(_row("e1"), "execution_started", "{}").result()
    for i in range(50):
        writer.append("e1", "attempt_started", f'{{"i":{i}}}', T0, node=f"n{i}", attempt=1)
    first = writer.transition("e1", "running", "completed", "execution_completed", "{}", T0)
    second = writer.transition("e1", "running", "failed", "execution_failed", "{}", T0)
    assert first.result() is True
    assert second.result() is False  # the status was no longer "running"
    writer.close()
    rows = repo.read_journal("e1")
    assert [r.kind for r in rows][-1] == "execution_completed"  # the refused entry is absent
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert [r.node_id for r in rows[1:51]] == [f"n{i}" for i in range(50)]
    execution = repo.get_execution("e1")
    assert execution is not None and execution.status == "completed"
    assert repo.read_journal("e1", after_seq=rows[-2].seq) == rows[-1:]


def test_leases_are_exclusive_until_they_lapse(repo: DuckDbExecutionRepo) -> None:
    writer = JournalWriter(repo)
    writer.create(_row("e1"), "execution_started", "{}").result()
    later = T0 + timedelta(seconds=10)
    assert not writer.acquire_lease("e1", "w2", later + timedelta(seconds=30), later).result()
    assert writer.acquire_lease("e1", "w1", later + timedelta(seconds=30), later).result()
    assert repo.find_expired_leases("running", later, 10) == []
    lapsed = T0 + timedelta(minutes=5)
    assert repo.find_expired_leases("running", lapsed, 10) == ["e1"]
    assert writer.acquire_lease("e1", "w2", lapsed + timedelta(seconds=30), lapsed).result()
    assert not writer.release_lease("e1", "w1").result()
    assert writer.release_lease("e1", "w2").result()
    assert repo.find_expired_leases("running", T0, 10) == ["e1"]  # no holder at all
    writer.close()


def test_the_journal_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.duckdb"
    repo = DuckDbExecutionRepo.open(path)
    writer = JournalWriter(repo)
    writer.create(_row("e1"), "execution_started", '{"a":1}').result()
    writer.close()
    repo.close()
    again = DuckDbExecutionRepo.open(path)
    try:
        assert [r.body for r in again.read_journal("e1")] == ['{"a":1}']
        assert [e.id for e in again.list_executions("running", 10)] == ["e1"]
        assert again.allocate_seq() == 2  # numbering continues after what is stored
    finally:
        again.close()


class _Broken(DuckDbExecutionRepo):
    def write(self, ops: Sequence[JournalOp]) -> list[bool]:
        raise OSError("disk full")


def test_a_storage_failure_fails_every_later_write() -> None:
    repo = _Broken.open()
    writer = JournalWriter(repo)
    with pytest.raises(StoreError, match="could not be written"):
        writer.create(_row("e1"), "execution_started", "{}").result()
    with pytest.raises(StoreError):
        writer.append("e1", "x", "{}", T0)
    assert writer.failed is not None
    writer.close()
    repo.close()


def test_blobs_are_content_addressed(tmp_path: Path) -> None:
    blobs = FsBlobStore(tmp_path / "blobs")
    key = blobs.put(b"hello")
    assert key == blobs.put(b"hello") and len(key) == 64
    assert blobs.get(key) == b"hello"
    blobs.delete(key)
    assert blobs.get(key) is None
    with pytest.raises(InvalidIdentifier):
        blobs.get("../../etc/passwd")
