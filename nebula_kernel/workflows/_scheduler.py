"""One execution of a plan on an asyncio loop: readiness, conditions, skips, bounded concurrency.

The scheduler journals each step through the :class:`JournalWriter` without waiting for it:
the writer keeps submission order, so when the runtime later waits for the terminal entry,
every step before it is durable too. Node attempts themselves run in :mod:`._attempts`.

Nodes run on workers: a worker task that finishes a node goes straight on with the next ready
one, in the same step of the loop. A task per node would queue each successor behind every
other callback ready at that moment, so nodes finishing together (timers firing in one loop
iteration) would restart together, one round later each time; workers restart as they finish.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nebula_kernel.errors import NebulaError
from nebula_kernel.workflows._attempts import AttemptRunner, NodeFailure, NodeRun, describe_error
from nebula_kernel.workflows._journal import NODE_SKIPPED, dumps
from nebula_kernel.workflows._plan import ExecutionPlan
from nebula_kernel.workflows._replay import ExecutionState, NodeStatus
from nebula_kernel.workflows.expressions import (
    Expression,
    ExpressionContext,
    parse_expression,
)

__all__ = ["Outcome", "Scheduler"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: ``status`` is completed, failed, cancelled or abandoned (lease lost)."""

    status: str
    error: dict[str, Any] | None = None
    node: str | None = None


@dataclass(slots=True)
class _Edge:
    source: str
    condition: Expression | None


@dataclass(slots=True)
class _Slot:
    run: NodeRun
    incoming: dict[str, list[_Edge]]  # by source: a fan-in of n settles in O(n), not O(n²)
    waiting: int  # incoming edges whose source has not settled
    active: bool = False  # some incoming edge fired


class Scheduler:
    def __init__(
        self,
        plan: ExecutionPlan,
        runner: AttemptRunner,
        state: ExecutionState | None,
        emit: Callable[[str, str, str], None],
    ) -> None:
        self._plan = plan
        self._runner = runner
        self._emit = emit  # (kind, node, body) → journal append, not awaited
        self._slots: dict[str, _Slot] = {}
        for node in plan.nodes:
            edges: dict[str, list[_Edge]] = {}
            for e in node.incoming:
                condition = None if e.condition is None else parse_expression(e.condition)
                edges.setdefault(e.source, []).append(_Edge(e.source, condition))
            slot = _Slot(runner.prepare(node, state), edges, len(node.incoming))
            self._slots[node.id] = slot
        self._ready: deque[str] = deque()
        self._workers: list[asyncio.Task[None]] = []
        self._running = 0
        self._per_action: dict[str, int] = {}
        self._unsettled = len(plan.nodes)
        self._outcome: asyncio.Future[Outcome] | None = None
        self._early: Outcome | None = None

    # -- driving --------------------------------------------------------------------------------

    async def run(self) -> Outcome:
        loop = asyncio.get_running_loop()
        self._outcome = loop.create_future()
        if self._early is not None:
            self._finish(self._early)
        settled = []
        for node in self._plan.nodes:
            slot = self._slots[node.id]
            if slot.run.status in (NodeStatus.COMPLETED, NodeStatus.SKIPPED):
                settled.append(node.id)
            elif slot.run.status is NodeStatus.FAILED:
                self._finish(Outcome("failed", slot.run.error, node.id))
            elif not slot.incoming:
                self._ready.append(node.id)
        for node_id in settled:
            self._settled(node_id)
        if self._unsettled == 0:
            self._finish(Outcome("completed"))
        self._pump()
        try:
            return await self._outcome
        finally:
            self._stop_all()

    def stop(self, outcome: Outcome) -> None:
        """End the run now (cancellation, timeout, lost lease); running attempts are cancelled.

        Before :meth:`run` has begun, the run ends as soon as it begins.
        """
        if self._outcome is None:
            self._early = self._early or outcome
        self._finish(outcome)

    def results(self) -> dict[str, Any]:
        return {
            i: s.run.result for i, s in self._slots.items() if s.run.status is NodeStatus.COMPLETED
        }

    def skipped(self) -> tuple[str, ...]:
        return tuple(i for i, s in self._slots.items() if s.run.status is NodeStatus.SKIPPED)

    # -- internals ------------------------------------------------------------------------------

    def _finish(self, outcome: Outcome) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(outcome)
            self._stop_all()

    def _stop_all(self) -> None:
        for worker in self._workers:
            if not worker.done():
                worker.cancel()

    def _pump(self) -> None:
        """Start a worker for each ready node that may run now."""
        while (node_id := self._take()) is not None:
            task = asyncio.get_running_loop().create_task(self._work(node_id), name=node_id)
            self._workers.append(task)

    def _take(self) -> str | None:
        """The next ready node within the limits, counted as running; ``None`` if there is none.

        With per-action limits a node that must wait does not hold up the others behind it.
        """
        plan = self._plan
        if self._running >= plan.max_parallel or self._outcome is None or self._outcome.done():
            return None
        limits = plan.per_action
        for index, node_id in enumerate(self._ready):
            action = self._slots[node_id].run.node.action
            limit = limits.get(action)
            if limit is None or self._per_action.get(action, 0) < limit:
                del self._ready[index]
                self._running += 1
                self._per_action[action] = self._per_action.get(action, 0) + 1
                return node_id
        return None

    async def _work(self, node_id: str | None) -> None:
        while node_id is not None:
            failure = await self._attempt(self._slots[node_id])
            if failure is not None:
                self._finish(Outcome("failed", failure.error, node_id))
                return
            if self._unsettled == 0:
                self._finish(Outcome("completed"))
                return
            node_id = self._take()
            self._pump()  # the nodes this one made ready beyond the one taken

    async def _attempt(self, slot: _Slot) -> NodeFailure | None:
        action = slot.run.node.action
        try:
            failure = await self._runner.run(slot.run, self._context_nodes)
            if failure is None:
                self._settled(slot.run.node.id)
        except Exception as exc:  # the journal (or the runtime itself) failed, not the action
            failure = NodeFailure(describe_error(exc))
        finally:
            self._running -= 1
            self._per_action[action] -= 1
        return failure

    def _context_nodes(self, ids: tuple[str, ...]) -> dict[str, Any]:
        return {i: self._slots[i].run.record() for i in ids}

    def _settled(self, node_id: str) -> None:
        """``node_id`` completed or was skipped: fire or drop its outgoing edges.

        Iterative, because skipping propagates down chains of any length.
        """
        todo = [node_id]
        while todo:
            current = self._slots[todo.pop()]
            self._unsettled -= 1
            completed = current.run.status is NodeStatus.COMPLETED
            for target_id in current.run.node.outgoing:
                target = self._slots[target_id]
                for edge in target.incoming[current.run.node.id]:
                    target.waiting -= 1
                    if completed and self._fires(edge, target_id):
                        target.active = True
                if target.waiting or target.run.status is not NodeStatus.PENDING:
                    continue
                if target.active:
                    self._ready.append(target_id)
                else:
                    target.run.status = NodeStatus.SKIPPED
                    self._emit(NODE_SKIPPED, target_id, _SKIPPED_BODY)
                    todo.append(target_id)

    def _fires(self, edge: _Edge, target: str) -> bool:
        if edge.condition is None:
            return True
        context = ExpressionContext(
            nodes=self._context_nodes(edge.condition.references),
            execution=self._runner.execution_facts,
            input=self._runner.input,
            env=self._runner.env,
        )
        try:
            return bool(edge.condition.evaluate(context))
        except NebulaError as error:
            self._finish(
                Outcome(
                    "failed",
                    {
                        "code": error.code,
                        "message": f"the condition of connection {edge.source} → {target} "
                        f"failed: {error.message}",
                    },
                    target,
                )
            )
            return False


_SKIPPED_BODY = dumps({"reason": "no incoming connection fired"})
