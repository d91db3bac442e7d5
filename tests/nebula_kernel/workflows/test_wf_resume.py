"""Resuming: from a lapsed lease in this process, and from a committed golden journal.

The golden journal (``golden/interrupted_v1.json``, format 1) is an API: it must keep
replaying to the same state and keep resuming to the same outcome in every later version.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo
from nebula_kernel.ports import AppendEntry, CreateExecution, ExecutionRow, JournalRow
from nebula_kernel.workflows import (
    ActionRegistry,
    ExecutionStatus,
    JournalEntry,
    NodeStatus,
    Runtime,
    Workflow,
    expr,
    open_runtime,
    replay,
)
from nebula_kernel.workflows._journal import dumps

GOLDEN = Path(__file__).with_name("golden") / "interrupted_v1.json"


class _Later:
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(hours=1)


def _golden() -> list[JournalEntry]:
    data = json.loads(GOLDEN.read_text())
    return [JournalEntry.from_json(e) for e in data["entries"]]


def test_golden_journal_replays_to_the_recorded_state() -> None:
    state = replay(_golden())
    assert state.status is ExecutionStatus.RUNNING
    assert state.input == {"name": "Ada"}
    assert state.plan.order == ("a", "b", "c", "d")
    assert state.nodes["a"].status is NodeStatus.COMPLETED
    assert state.nodes["a"].body is not None
    assert state.nodes["a"].body["output"] == {"message": "Hello Ada"}
    assert state.nodes["b"].status is NodeStatus.RUNNING
    assert state.nodes["b"].interrupted == 0 and state.nodes["b"].attempts == 1
    assert state.nodes["b"].idempotency_key == "golden-1/b"
    assert state.nodes["c"].status is NodeStatus.PENDING


def _registry(calls: Counter[str]) -> ActionRegistry:
    registry = ActionRegistry.with_builtins()

    def shout(text: str) -> str:
        calls["shout"] += 1
        return text.upper()

    registry.function(shout)
    return registry


def _load(repo: DuckDbExecutionRepo, entries: list[JournalEntry]) -> None:
    rows = [
        JournalRow(
            e.seq,
            e.execution_id,
            e.kind,
            e.node_id,
            e.attempt,
            e.format_version,
            e.at,
            dumps(e.body),
        )
        for e in entries
    ]
    first = rows[0]
    execution = ExecutionRow(
        first.execution_id,
        "greeting",
        "running",
        first.at,
        first.at,
        "golden-host:1:00000000",
        first.at + timedelta(seconds=30),
        "local.lab.default",
    )
    repo.write([CreateExecution(execution, rows[0]), *(AppendEntry(r) for r in rows[1:])])


def test_golden_journal_resumes_to_completion() -> None:
    calls: Counter[str] = Counter()

    async def main() -> tuple[Any, list[JournalEntry]]:
        repo = DuckDbExecutionRepo.open()
        _load(repo, _golden())
        async with Runtime(repo, registry=_registry(calls), clock=_Later()) as runtime:
            [execution] = await runtime.reap()
            result = await execution.result()
            return result, runtime.journal("golden-1")

    result, journal = asyncio.run(main())
    assert result.status is ExecutionStatus.COMPLETED
    assert result.results == {
        "a": {"message": "Hello Ada"},
        "b": "HELLO ADA",
        "c": {"message": "HELLO ADA"},
    }
    assert result.skipped == ("d",)
    assert calls == Counter(shout=1)
    resumed = journal[len(_golden()) :]
    assert resumed[0].kind == "execution_resumed"
    b_attempts = [e for e in resumed if e.node_id == "b" and e.kind == "attempt_started"]
    assert [(e.attempt, e.body["idempotency_key"]) for e in b_attempts] == [(2, "golden-1/b")]
    assert not any(e.node_id == "a" for e in resumed)  # completed nodes never re-run


def test_a_closed_runtime_hands_its_runs_over_to_the_next(tmp_path: Path) -> None:
    path = tmp_path / "wf.duckdb"
    counts: Counter[str] = Counter()
    release = asyncio.Event

    def workflow() -> Workflow:
        wf = Workflow("two")
        a = wf.node("a", "python.call", function="count", args=["a"])
        b = wf.node("b", "python.call", function="block", args=[expr("$nodes.a.result")])
        a >> b
        return wf

    async def first() -> str:
        registry = ActionRegistry.with_builtins()
        started = release()
        registry.function(lambda name: counts.update([name]) or name, name="count")

        async def block(value: str) -> str:
            counts.update(["b-first"])
            started.set()
            await asyncio.sleep(3600)
            return value

        registry.function(block)
        runtime = open_runtime(path, registry=registry, lease_ttl_s=3600)
        execution = await runtime.start(workflow())
        await started.wait()
        # Closing abandons the run: still running, its lease let go for the next runtime.
        await runtime.aclose()
        return execution.id

    execution_id = asyncio.run(first())

    async def second() -> Any:
        registry = ActionRegistry.with_builtins()
        registry.function(lambda name: counts.update([name]) or name, name="count")

        async def block(value: str) -> str:
            counts.update(["b-second"])
            return value + "!"

        registry.function(block)
        async with open_runtime(path, registry=registry) as live:
            # Handed over at once: no waiting for a lease to lapse (crashes still do).
            [execution] = await live.reap()
            assert execution.id == execution_id
            return await execution.result()

    result = asyncio.run(second())
    assert result.status is ExecutionStatus.COMPLETED
    assert result.results == {"a": "a", "b": "a!"}
    assert counts == Counter({"a": 1, "b-first": 1, "b-second": 1})


def test_a_run_whose_lease_is_taken_stops_without_deciding(tmp_path: Path) -> None:
    from nebula_kernel.drivers.duckdb import open_duckdb
    from nebula_kernel.workflows._writer import JournalWriter

    connection = open_duckdb(tmp_path / "wf.duckdb")
    ran: list[str] = []

    async def main() -> Any:
        registry = ActionRegistry.with_builtins()
        started = asyncio.Event()

        async def block() -> None:
            ran.append("block")
            started.set()
            await asyncio.sleep(3600)

        registry.function(block)
        wf = Workflow("stolen")
        wf.node("b", "python.call", function="block")
        repo = DuckDbExecutionRepo.on(connection)
        async with Runtime(repo, registry=registry, lease_ttl_s=0.1) as runtime:
            execution = await runtime.start(wf)
            await started.wait()
            # Another worker decided the lease had lapsed and took the execution over.
            thief = JournalWriter(DuckDbExecutionRepo.on(connection))
            later = datetime.now(UTC) + timedelta(hours=1)
            took = thief.acquire_lease(execution.id, "thief", later + timedelta(hours=1), later)
            assert await asyncio.wrap_future(took)
            thief.close()
            result = await asyncio.wait_for(execution.result(), 10)
            return result, [e.kind for e in runtime.journal(execution.id)]

    try:
        result, kinds = asyncio.run(main())
    finally:
        connection.close()
    assert result.status is ExecutionStatus.RUNNING  # left for the new holder to finish
    assert kinds[-1] == "attempt_started"  # nothing decided after the lease was lost
    assert ran == ["block"]


def test_cancel_reaches_runs_in_other_runtimes_and_dormant_ones(tmp_path: Path) -> None:
    from nebula_kernel.drivers.duckdb import open_duckdb

    connection = open_duckdb(tmp_path / "wf.duckdb")

    async def main() -> tuple[Any, ExecutionStatus]:
        registry = ActionRegistry.with_builtins()
        started = asyncio.Event()

        async def block() -> None:
            started.set()
            await asyncio.sleep(3600)

        registry.function(block)
        wf = Workflow("remote")
        wf.node("b", "python.call", function="block")
        owner = Runtime(DuckDbExecutionRepo.on(connection), registry=registry, lease_ttl_s=0.1)
        other = Runtime(DuckDbExecutionRepo.on(connection), registry=registry)
        running = await owner.start(wf)
        await started.wait()
        await other.cancel(running.id, "stop from elsewhere")
        result = await asyncio.wait_for(running.result(), 10)
        # A run nobody holds any more (its runtime went away) is cancelled on the spot.
        started.clear()
        dormant = await owner.start(wf)
        await started.wait()
        await owner.aclose()
        await asyncio.sleep(0.2)  # its 0.1 s lease lapses
        await other.cancel(dormant.id)
        status = other.state(dormant.id).status
        await other.aclose()
        return result, status

    try:
        result, dormant_status = asyncio.run(main())
    finally:
        connection.close()
    assert result.status is ExecutionStatus.CANCELLED
    assert result.error == {"code": "cancelled", "message": "stop from elsewhere"}
    assert dormant_status is ExecutionStatus.CANCELLED
