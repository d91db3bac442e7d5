"""The workflow runtime against bare asyncio: the cost of durability per node.

Every runtime row journals every attempt (started + completed) in a DuckDB file and returns
only once the execution's completion is durable. The baseline of each is the same graph run
as bare asyncio tasks with no journal, so ``(runtime - baseline) / nodes`` is the per-node
overhead. W1: one source → N parallel trivial nodes → one sink. W2: a chain of trivial nodes.
W3: nodes sleeping 10 ms each with concurrency 16 (ideal = nodes * 10 ms / 16).
``--quick`` shrinks every size to a smoke run.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from benchmarks._runner import Row, Suite
from nebula_kernel.workflows import (
    ActionContext,
    ActionRegistry,
    Concurrency,
    Runtime,
    Workflow,
    WorkflowDefinition,
    action,
    open_runtime,
)

__all__ = ["run"]

_OVERHEAD_TARGET_S = 250e-6
_SLEEP_S = 0.010
_W3_CONCURRENCY = 16


class _Sleep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = 0.0


@action("bench.noop")
async def _noop(inputs: _Sleep, ctx: ActionContext) -> dict[str, Any]:
    if inputs.seconds:
        await asyncio.sleep(inputs.seconds)
    return {"ok": True}


@dataclass(frozen=True, slots=True)
class _Sizes:
    fan: int
    chain: int
    sleepers: int
    repeat: int

    @classmethod
    def of(cls, suite: Suite) -> _Sizes:
        if suite.quick:
            return cls(fan=100, chain=40, sleepers=64, repeat=3)
        return cls(fan=1_000, chain=200, sleepers=1_000, repeat=7)


def _fan(n: int) -> WorkflowDefinition:
    wf = Workflow("w1", concurrency=Concurrency(max_parallel=n))
    source = wf.node("source", "bench.noop")
    sink = wf.node("sink", "bench.noop")
    for i in range(n):
        source >> wf.node(f"n{i}", "bench.noop") >> sink
    return wf.build()


def _chain(n: int) -> WorkflowDefinition:
    wf = Workflow("w2")
    previous = wf.node("n0", "bench.noop")
    for i in range(1, n):
        previous = previous >> wf.node(f"n{i}", "bench.noop")
    return wf.build()


def _sleepers(n: int) -> WorkflowDefinition:
    wf = Workflow("w3", concurrency=Concurrency(max_parallel=_W3_CONCURRENCY))
    for i in range(n):
        wf.node(f"n{i}", "bench.noop", seconds=_SLEEP_S)
    return wf.build()


async def _bare_fan(n: int) -> None:
    await _step()
    await asyncio.gather(*(asyncio.create_task(_step()) for _ in range(n)))
    await _step()


async def _bare_chain(n: int) -> None:
    for _ in range(n):
        await asyncio.create_task(_step())


async def _bare_sleepers(n: int) -> None:
    gate = asyncio.Semaphore(_W3_CONCURRENCY)

    async def one() -> None:
        async with gate:
            await _step(_SLEEP_S)

    await asyncio.gather(*(asyncio.create_task(one()) for _ in range(n)))


async def _step(seconds: float = 0.0) -> dict[str, Any]:
    if seconds:
        await asyncio.sleep(seconds)
    return {"ok": True}


def run(suite: Suite) -> None:
    sizes = _Sizes.of(suite)
    registry = ActionRegistry.with_builtins()
    registry.add(_noop)
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="nebula-bench-wf-") as tmp:
        runtime = open_runtime(Path(tmp) / "wf.duckdb", registry=registry)
        try:
            cases: list[tuple[str, int, WorkflowDefinition, Callable[[], Awaitable[None]]]] = [
                ("W1 fan-out", sizes.fan + 2, _fan(sizes.fan), lambda: _bare_fan(sizes.fan)),
                ("W2 chain", sizes.chain, _chain(sizes.chain), lambda: _bare_chain(sizes.chain)),
                (
                    "W3 sleep 10ms c=16",
                    sizes.sleepers,
                    _sleepers(sizes.sleepers),
                    lambda: _bare_sleepers(sizes.sleepers),
                ),
            ]
            for name, nodes, definition, bare in cases:
                _case(suite, loop, runtime, name, nodes, definition, bare, sizes.repeat)
        finally:
            loop.run_until_complete(runtime.aclose())
            loop.close()


def _case(
    suite: Suite,
    loop: asyncio.AbstractEventLoop,
    runtime: Runtime,
    name: str,
    nodes: int,
    definition: WorkflowDefinition,
    bare: Callable[[], Awaitable[None]],
    repeat: int,
) -> None:
    plan = runtime.plan(definition)

    def durable() -> None:
        result = loop.run_until_complete(runtime.run(plan))
        assert result.ok, result.error

    base = suite.measure(
        f"{name}: bare asyncio", lambda: loop.run_until_complete(bare()), repeat=repeat, ops=nodes
    )
    if name.startswith("W3"):
        ideal = nodes * _SLEEP_S / _W3_CONCURRENCY
        row = suite.measure(
            f"{name}: runtime",
            durable,
            repeat=repeat,
            ops=nodes,
            baseline=base.case,
            target=f"≤ {ideal * 1.05:.3f} s (ideal {ideal:.3f} s + 5%)",
            check=lambda row: row.median_s <= ideal * 1.05,
        )
        # The bare floor is shown against the ideal too: asyncio's timers wake late (epoll
        # waits in whole milliseconds), which no runtime on the same loop can undo.
        row.note = (
            f"total {row.median_s:.3f} s; bare asyncio {base.median_s:.3f} s "
            f"= ideal +{(base.median_s / ideal - 1) * 100:.1f}%"
        )
        return
    row = suite.measure(
        f"{name}: runtime",
        durable,
        repeat=repeat,
        ops=nodes,
        baseline=base.case,
        target="overhead ≤ 250 µs/node",
        check=lambda row: _overhead(row, base) <= _OVERHEAD_TARGET_S,
    )
    row.note = f"overhead {_overhead(row, base) * 1e6:.0f} µs/node"


def _overhead(row: Row, base: Row) -> float:
    return (row.median_s - base.median_s) / row.ops_per_sample
