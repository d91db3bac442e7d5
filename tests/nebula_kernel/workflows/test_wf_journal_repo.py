"""The DuckDB journal driver and the group-commit writer: CAS, leases, order, failure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
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


def _row(
    execution_id: str,
    holder: str | None = "w1",
    *,
    star: str = "acme.sales.dash",
    workflow_id: str = "wf",
    at: datetime = T0,
) -> ExecutionRow:
    until = at + timedelta(seconds=30) if holder else None
    return ExecutionRow(execution_id, workflow_id, "running", at, at, holder, until, star)


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
    assert execution.lease_holder is None and execution.lease_until is None  # decided: let go
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


def test_executions_belong_to_a_star_and_list_by_star_and_workflow(
    repo: DuckDbExecutionRepo,
) -> None:
    writer = JournalWriter(repo)
    for n, (star, workflow) in enumerate(
        [("acme.sales.dash", "a"), ("acme.hr.people", "a"), ("acme.sales.dash", "b")]
    ):
        row = _row(f"e{n}", star=star, workflow_id=workflow, at=T0 + timedelta(seconds=n))
        writer.create(row, "execution_started", "{}").result()
        writer.append(f"e{n}", "attempt_started", "{}", T0, node="x", attempt=1)
    writer.close()
    assert repo.get_execution("e1") == _row(
        "e1", star="acme.hr.people", workflow_id="a", at=T0 + timedelta(seconds=1)
    )
    listed = repo.list_executions(None, 10, star="acme.sales.dash")
    assert [e.id for e in listed] == ["e2", "e0"]  # newest first
    assert [e.id for e in repo.list_executions("running", 10, workflow_id="a")] == ["e1", "e0"]
    one = repo.list_executions(None, 10, star="acme.sales.dash", workflow_id="a")
    assert [e.id for e in one] == ["e0"]
    assert repo.list_executions("completed", 10) == []
    # A star's journal: its executions' entries only, after a sequence, in order, bounded.
    sales = repo.read_star_journal("acme.sales.dash", 0, 100)
    assert [(r.execution_id, r.kind) for r in sales] == [
        ("e0", "execution_started"),
        ("e0", "attempt_started"),
        ("e2", "execution_started"),
        ("e2", "attempt_started"),
    ]
    after = repo.read_star_journal("acme.sales.dash", sales[1].seq, 1)
    assert [r.seq for r in after] == [sales[2].seq]
    assert [r.seq for r in repo.read_star_journal("acme.sales.dash", 0, 9, "e2")] == [
        r.seq for r in sales[2:]
    ]
    assert repo.read_star_journal("acme.sales.dash", 0, 9, "e1") == []
    assert repo.last_seq() == sales[-1].seq == 6


def test_a_journal_file_from_before_stars_opens_and_its_runs_join_the_default_star(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as old:
        old.execute(
            """CREATE TABLE wf_executions (id VARCHAR PRIMARY KEY, workflow_id VARCHAR NOT NULL,
            status VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL, lease_holder VARCHAR, lease_until TIMESTAMPTZ)"""
        )
        old.execute(
            "INSERT INTO wf_executions VALUES ('old', 'wf', 'completed', ?, ?, NULL, NULL)",
            [T0, T0],
        )
    repo = DuckDbExecutionRepo.open(path)
    try:
        found = repo.get_execution("old")
        assert found is not None and found.star == "local.lab.default"
        writer = JournalWriter(repo)
        writer.create(_row("new"), "execution_started", "{}").result()
        writer.close()
        assert [e.id for e in repo.list_executions(None, 9, star="acme.sales.dash")] == ["new"]
    finally:
        repo.close()
