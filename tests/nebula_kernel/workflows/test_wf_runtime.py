"""The runtime: data flow, conditions and skips, retries, timeouts, cancellation, limits."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows import (
    ActionContext,
    ActionRegistry,
    Concurrency,
    ExecutionStatus,
    JournalEntry,
    RetryPolicy,
    Runtime,
    Workflow,
    expr,
    open_runtime,
)

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.001, max_backoff_s=0.002)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    fail_times: int = 0
    code: str = "flaky"
    sleep_s: float = 0.0
    value: Any = None


class Probe:
    """What the test actions saw: attempts per node, and how many ran at once."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.keys: dict[str, set[str]] = {}
        self.running = 0
        self.peak = 0
        self.started = asyncio.Event()


def _registry(probe: Probe) -> ActionRegistry:
    registry = ActionRegistry.with_builtins()

    @registry.action("test.step")
    async def step(inputs: StepIn, ctx: ActionContext) -> dict[str, Any]:
        probe.attempts[ctx.node_id] += 1
        probe.keys.setdefault(ctx.node_id, set()).add(ctx.idempotency_key)
        probe.running += 1
        probe.peak = max(probe.peak, probe.running)
        if inputs.sleep_s:
            probe.started.set()
        try:
            if inputs.sleep_s:
                await asyncio.sleep(inputs.sleep_s)
            if probe.attempts[ctx.node_id] <= inputs.fail_times:
                raise ActionFailed(f"{ctx.node_id} fails", error_code=inputs.code)
            return {"node": ctx.node_id, "value": inputs.value, "attempt": ctx.attempt}
        finally:
            probe.running -= 1

    return registry


def _run(
    body: Callable[[Runtime, Probe], Awaitable[None]], path: str | Path | None = None
) -> Probe:
    probe = Probe()

    async def main() -> None:
        async with open_runtime(path, registry=_registry(probe)) as runtime:
            await body(runtime, probe)

    asyncio.run(main())
    return probe


def test_data_flows_through_expressions_and_templates() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("flow")
        a = wf.node("a", "test.step", value=expr("$input.items"))
        b = wf.node("b", "test.step", value=expr("len($nodes.a.result.value) * 10"))
        c = wf.node("c", "log", message="{{ $execution.workflow_id }}: {{ $nodes.b.result.value }}")
        a >> b >> c
        result = await runtime.run(wf, {"items": [1, 2, 3]})
        assert result.ok
        assert result.results["b"]["value"] == 30
        assert result.results["c"] == {"message": "flow: 30"}

    _run(body)


def test_false_conditions_skip_and_skipping_propagates() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("branch")
        route = wf.node("route", "branch", cases={"big": expr("$input.n > 10")})
        big = wf.node("big", "test.step")
        small = wf.node("small", "test.step")
        after_small = wf.node("after_small", "test.step")
        join = wf.node("join", "test.step")
        route.to(big, when="$nodes.route.result.case == 'big'")
        route.to(small, when="$nodes.route.result.case == 'default'")
        small >> after_small
        [big, after_small] >> join
        result = await runtime.run(wf, {"n": 50})
        assert result.ok
        assert set(result.skipped) == {"small", "after_small"}
        assert set(result.results) == {"route", "big", "join"}
        skipped = [
            str(e.node_id) for e in runtime.journal(result.execution_id) if e.kind == "node_skipped"
        ]
        assert sorted(skipped) == ["after_small", "small"]
        result = await runtime.run(wf, {"n": 1})
        assert set(result.skipped) == {"big"}
        assert "join" in result.results  # one fired input is enough

    _run(body)


def test_retries_then_succeeds_with_one_idempotency_key() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("retry")
        wf.node("flaky", "test.step", fail_times=2, retry=FAST_RETRY)
        result = await runtime.run(wf)
        assert result.ok
        assert result.results["flaky"]["attempt"] == 3
        kinds = [
            (e.kind, e.attempt)
            for e in runtime.journal(result.execution_id)
            if e.node_id == "flaky"
        ]
        assert kinds == [
            ("attempt_started", 1),
            ("attempt_failed", 1),
            ("attempt_started", 2),
            ("attempt_failed", 2),
            ("attempt_started", 3),
            ("attempt_completed", 3),
        ]
        assert probe.keys["flaky"] == {f"{result.execution_id}/flaky"}

    _run(body)


def test_gives_up_after_max_attempts_and_on_non_retryable_codes() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("exhaust")
        wf.node("x", "test.step", fail_times=5, retry=FAST_RETRY)
        result = await runtime.run(wf)
        assert result.status is ExecutionStatus.FAILED
        assert result.failed_node == "x" and result.error is not None
        assert result.error["code"] == "flaky"
        assert probe.attempts["x"] == 3
        policy = FAST_RETRY.model_copy(update={"non_retryable": ("fatal",)})
        wf = Workflow("fatal")
        wf.node("y", "test.step", fail_times=5, code="fatal", retry=policy)
        assert (await runtime.run(wf)).status is ExecutionStatus.FAILED
        assert probe.attempts["y"] == 1

    _run(body)


def test_a_failed_node_fails_the_execution_and_stops_the_others() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("failfast")
        wf.node("boom", "fail", message="no", code="nope")
        wf.node("slow", "test.step", sleep_s=30)
        result = await asyncio.wait_for(runtime.run(wf), 10)
        assert result.status is ExecutionStatus.FAILED
        assert result.error == {"code": "nope", "message": "no"}
        assert runtime.state(result.execution_id).status is ExecutionStatus.FAILED

    _run(body)


def test_attempt_timeouts_are_retryable_failures() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("timeout")
        wf.node("slow", "test.step", sleep_s=5, timeout_s=0.02, retry=FAST_RETRY)
        result = await asyncio.wait_for(runtime.run(wf), 10)
        assert result.status is ExecutionStatus.FAILED
        assert result.error is not None and result.error["code"] == "timeout"
        assert probe.attempts["slow"] == 3

    _run(body)


def test_execution_timeout_stops_the_run() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("deadline", timeout_s=0.05)
        wf.node("slow", "test.step", sleep_s=30)
        result = await asyncio.wait_for(runtime.run(wf), 10)
        assert result.status is ExecutionStatus.FAILED
        assert result.error is not None and result.error["code"] == "timeout"
        assert probe.running == 0

    _run(body)


def test_cancellation_stops_running_nodes_and_is_journaled() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("cancel")
        first = wf.node("first", "test.step")
        slow = wf.node("slow", "test.step", sleep_s=30)
        never = wf.node("never", "test.step")
        first >> slow >> never
        execution = await runtime.start(wf)
        await probe.started.wait()
        await execution.cancel("user pressed stop")
        result = await asyncio.wait_for(execution.result(), 10)
        assert result.status is ExecutionStatus.CANCELLED
        assert probe.running == 0 and "never" not in probe.attempts
        kinds = [e.kind for e in runtime.journal(execution.id)]
        assert "cancellation_requested" in kinds and kinds[-1] == "execution_cancelled"

    _run(body)


@pytest.mark.parametrize(
    ("limits", "peak"),
    [
        ({"max_parallel": 3}, 3),
        ({"per_action": {"test.step": 2}}, 2),
        ({"per_action": {"test.step": 4}, "node": 1}, 1),  # a node's limit joins its action's
    ],
)
def test_concurrency_is_bounded(limits: dict[str, Any], peak: int) -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        node_limit = limits.pop("node", None)
        wf = Workflow("bounded", concurrency=Concurrency.model_validate(limits))
        for i in range(12):
            wf.node(f"n{i}", "test.step", sleep_s=0.01, concurrency=node_limit if i == 5 else None)
        assert (await runtime.run(wf)).ok
        assert probe.peak == peak

    _run(body)


def test_a_node_held_by_its_action_limit_does_not_hold_up_other_actions() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("held", concurrency=Concurrency(per_action={"test.step": 1}))
        for i in range(3):
            wf.node(f"s{i}", "test.step", sleep_s=0.01)
        wf.node("w", "wait", seconds=0)
        result = await runtime.run(wf)
        assert result.ok and probe.peak == 1
        started = [
            e.node_id for e in runtime.journal(result.execution_id) if e.kind == "attempt_started"
        ]
        # Ready in the order s0, s1, s2, w: s1 and s2 wait for s0's slot, w does not.
        assert started.index("w") < started.index("s1") < started.index("s2")

    _run(body)


def test_big_outputs_spill_to_blobs_and_read_back(tmp_path: Path) -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("big")
        a = wf.node("a", "test.step", value=expr("'x' * 100000"))
        b = wf.node("b", "test.step", value=expr("len($nodes.a.result.value)"))
        a >> b
        result = await runtime.run(wf)
        assert result.results["b"]["value"] == 100_000
        completed = [
            e
            for e in runtime.journal(result.execution_id)
            if e.kind == "attempt_completed" and e.node_id == "a"
        ]
        assert "output" not in completed[0].body
        ref = completed[0].body["output_blob"]
        assert len(ref["key"]) == 64 and ref["size"] > 100_000
        state = runtime.state(result.execution_id)
        assert state.nodes["a"].body is not None

    _run(body, tmp_path / "wf.duckdb")
    assert any((tmp_path / "wf.duckdb.blobs").rglob("*"))


def test_events_are_durable_journal_entries() -> None:
    seen: list[JournalEntry] = []

    async def body(runtime: Runtime, probe: Probe) -> None:
        unsubscribe = runtime.subscribe(seen.append)
        wf = Workflow("events")
        wf.node("a", "test.step")
        result = await runtime.run(wf)
        unsubscribe()
        assert [e.seq for e in seen] == [e.seq for e in runtime.journal(result.execution_id)]

    _run(body)
    assert [e.kind for e in seen] == [
        "execution_started",
        "attempt_started",
        "attempt_completed",
        "execution_completed",
    ]


def test_python_functions_are_called_in_process() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        runtime.registry.function(lambda a, b=0: {"sum": a + b}, name="add")

        async def shout(text: str) -> str:
            return text.upper()

        runtime.registry.function(shout)
        wf = Workflow("calls")
        add = wf.node("add", "python.call", function="add", args=[2], kwargs={"b": 3})
        loud = wf.node("loud", "python.call", function="shout", args=["hi"])
        add >> loud
        result = await runtime.run(wf)
        assert result.results == {"add": {"sum": 5}, "loud": "HI"}
        wf = Workflow("missing")
        wf.node("x", "python.call", function="nope")
        failed = await runtime.run(wf)
        assert failed.error is not None and failed.error["code"] == "unknown_function"

    _run(body)


def test_inputs_that_do_not_fit_fail_without_retry() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("types")
        wf.node("w", "wait", seconds=expr("$input.s"), retry=FAST_RETRY)
        result = await runtime.run(wf, {"s": "soon"})
        assert result.error is not None and result.error["code"] == "validation_failed"
        attempts = [e for e in runtime.journal(result.execution_id) if e.kind == "attempt_failed"]
        assert len(attempts) == 1

    _run(body)


def test_cancelling_right_after_start_cancels() -> None:
    async def body(runtime: Runtime, probe: Probe) -> None:
        wf = Workflow("early")
        wf.node("a", "test.step", sleep_s=30)
        execution = await runtime.start(wf)
        await execution.cancel()  # before the run has taken a single step
        result = await asyncio.wait_for(execution.result(), 10)
        assert result.status is ExecutionStatus.CANCELLED
        assert probe.attempts["a"] == 0

    _run(body)
