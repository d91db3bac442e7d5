"""The runtime: start, run, cancel and resume executions; a lease per run; a reaper.

Operation order for every run (the journal is the truth, everything else is derived):

1. create the execution (status ``running``, lease held) with ``execution_started`` (input
   and plan) in one write;
2. per node attempt: ``attempt_started`` → run the action → ``attempt_completed``/``failed``;
3. the terminal status by compare-and-set from ``running``, with its entry, and the lease
   released; ``run`` returns only once that is durable.

While a run is going its lease is renewed; if a renewal is refused (another worker took the
execution over after the lease lapsed) the run stops without writing anything more. The
reaper resumes executions still ``running`` whose lease has lapsed: completed nodes keep their
recorded results, interrupted attempts run again with the same idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from nebula_kernel.errors import AlreadyExists, ExecutionNotFound, NebulaError
from nebula_kernel.ports import BlobStore, Clock, ExecutionRepo, ExecutionRow, SystemClock
from nebula_kernel.resources import DEFAULT_STAR
from nebula_kernel.workflows._actions import ActionRegistry, Services
from nebula_kernel.workflows._attempts import AttemptRunner
from nebula_kernel.workflows._builder import Workflow
from nebula_kernel.workflows._capabilities import ReachLimits
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._guarding import Resilience
from nebula_kernel.workflows._journal import (
    CANCELLATION_REQUESTED,
    EXECUTION_CANCELLED,
    EXECUTION_COMPLETED,
    EXECUTION_FAILED,
    EXECUTION_RESUMED,
    EXECUTION_STARTED,
    JournalEntry,
    body_with,
    dumps,
    load_value,
    raw_json,
    store_value,
)
from nebula_kernel.workflows._plan import ExecutionPlan, build_plan
from nebula_kernel.workflows._replay import ExecutionState, ExecutionStatus, replay
from nebula_kernel.workflows._scheduler import Outcome, Scheduler
from nebula_kernel.workflows._writer import JournalWriter

__all__ = ["Execution", "ExecutionResult", "Runtime"]

_log = logging.getLogger("nebula.workflows")
_PLAN_CACHE = 128
_RUNNING = ExecutionStatus.RUNNING.value
_TERMINAL_KIND = {
    "completed": EXECUTION_COMPLETED,
    "failed": EXECUTION_FAILED,
    "cancelled": EXECUTION_CANCELLED,
}


def _remember(cache: dict[int, Any], key: int, value: Any) -> None:
    cache[key] = value
    if len(cache) > _PLAN_CACHE:
        del cache[next(iter(cache))]  # the oldest: dicts keep insertion order


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    execution_id: str
    status: ExecutionStatus
    results: dict[str, Any]  # the outputs of the nodes that completed
    skipped: tuple[str, ...]
    error: dict[str, Any] | None = None
    failed_node: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is ExecutionStatus.COMPLETED


class Execution:
    """A run in this process: await :meth:`result`, or :meth:`cancel` it."""

    def __init__(self, runtime: Runtime, execution_id: str) -> None:
        self.id = execution_id
        self._runtime = runtime
        self._scheduler: Scheduler | None = None
        self._task: asyncio.Task[ExecutionResult] | None = None
        self._cancel_reason: str | None = None

    async def result(self) -> ExecutionResult:
        assert self._task is not None
        return await asyncio.shield(self._task)

    async def cancel(self, reason: str = "cancelled by request") -> None:
        """Journal the request, then stop every running attempt; :meth:`result` says cancelled."""
        if self._cancel_reason is not None or self._task is None or self._task.done():
            return
        self._cancel_reason = reason
        self._runtime._append_now(self.id, CANCELLATION_REQUESTED, dumps({"reason": reason}))
        if self._scheduler is not None:
            self._scheduler.stop(Outcome("cancelled", {"code": "cancelled", "message": reason}))

    def journal(self) -> list[JournalEntry]:
        return self._runtime.journal(self.id)


class Runtime:
    """Runs workflows durably on an :class:`ExecutionRepo`. Use from one asyncio loop.

    Every execution belongs to a star; runs started without one belong to ``default_star``.
    The runtime itself authorizes nothing: hosts check the caller's claims first (see
    :class:`~nebula_kernel.workflows.WorkflowService`).
    """

    def __init__(
        self,
        repo: ExecutionRepo,
        *,
        registry: ActionRegistry | None = None,
        blobs: BlobStore | None = None,
        services: Services | None = None,
        clock: Clock | None = None,
        lease_ttl_s: float = 30.0,
        spill_bytes: int = 64 * 1024,
        owns_repo: bool = True,
        seed: int | None = None,
        env: Mapping[str, Any] | None = None,
        resilience: Resilience | None = None,
        reach: ReachLimits | None = None,
        default_star: str = DEFAULT_STAR,
    ) -> None:
        self.registry = registry if registry is not None else ActionRegistry.with_builtins()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._repo = repo
        self._owns_repo = owns_repo
        self._writer = JournalWriter(repo)
        self._blobs = blobs
        self._services = services or Services(functions=self.registry.functions)
        self._clock = clock or SystemClock()
        self._ttl = lease_ttl_s
        self._spill = spill_bytes
        self._rng = random.Random(seed)
        self._plans: dict[int, tuple[WorkflowDefinition, ExecutionPlan]] = {}
        self._plan_texts: dict[int, tuple[ExecutionPlan, str]] = {}
        self._active: dict[str, Execution] = {}
        self._creating: set[str] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False
        # ``$env``: the host's non-secret settings, the same for every run of this runtime.
        self._env = MappingProxyType(dict(env or {}))
        self._resilience = resilience or Resilience()
        self._reach = reach or ReachLimits()
        self.default_star = default_star

    # -- plans ----------------------------------------------------------------------------------

    def plan(self, workflow: WorkflowDefinition | Workflow) -> ExecutionPlan:
        """Validate and plan (cached per definition object)."""
        definition = workflow.build() if isinstance(workflow, Workflow) else workflow
        cached = self._plans.get(id(definition))
        if cached is not None and cached[0] is definition:
            return cached[1]
        plan = build_plan(definition, self.registry)
        _remember(self._plans, id(definition), (definition, plan))
        return plan

    def _plan_json(self, plan: ExecutionPlan) -> str:
        """The plan as journal JSON, encoded once per plan: a big plan costs ~50 µs a node."""
        cached = self._plan_texts.get(id(plan))
        if cached is not None and cached[0] is plan:
            return cached[1]
        text = dumps(plan.to_json())
        _remember(self._plan_texts, id(plan), (plan, text))
        return text

    # -- running --------------------------------------------------------------------------------

    async def start(
        self,
        workflow: WorkflowDefinition | Workflow | ExecutionPlan,
        input: Any = None,
        *,
        execution_id: str | None = None,
        star: str | None = None,
    ) -> Execution:
        """Start an execution in ``star`` (default: the runtime's). A chosen ``execution_id``
        (an idempotency key, e.g. a trigger's fire id) that exists already raises
        :class:`AlreadyExists` and changes nothing."""
        plan = workflow if isinstance(workflow, ExecutionPlan) else self.plan(workflow)
        star = star or self.default_star
        if execution_id is None:
            return await self._create(uuid.uuid4().hex, plan, input, star)
        # Refused here: a duplicate reaching the journal would fail the writer's whole batch.
        if execution_id in self._creating or self._repo.get_execution(execution_id) is not None:
            raise AlreadyExists(
                f"Execution {execution_id!r} exists already; choose another id, or read it with "
                "state() / resume it with resume().",
                execution_id=execution_id,
            )
        self._creating.add(execution_id)
        try:
            return await self._create(execution_id, plan, input, star)
        finally:
            self._creating.discard(execution_id)

    async def _create(
        self, execution_id: str, plan: ExecutionPlan, input: Any, star: str
    ) -> Execution:
        now = self._clock.now()
        row = ExecutionRow(
            execution_id,
            plan.workflow_id,
            _RUNNING,
            now,
            now,
            self.holder,
            self._lease_end(now),
            star,
        )
        name, value = store_value("input", dumps(input), self._blobs, self._spill)
        plan_json = raw_json(self._plan_json(plan))
        body = body_with({name: value, "plan": plan_json, "holder": self.holder, "star": star})
        created = self._writer.create(row, EXECUTION_STARTED, body)
        # Prepared while the row is being committed (a plan of a thousand nodes takes
        # milliseconds to prepare); begun once it exists, as leases are renewed against it.
        execution = self._prepare(execution_id, plan, input, now, None, star)
        await asyncio.wrap_future(created)
        return self._begin(execution, plan)

    async def run(
        self,
        workflow: WorkflowDefinition | Workflow | ExecutionPlan,
        input: Any = None,
        *,
        execution_id: str | None = None,
        star: str | None = None,
    ) -> ExecutionResult:
        """Start an execution and wait for its durable outcome."""
        execution = await self.start(workflow, input, execution_id=execution_id, star=star)
        return await execution.result()

    def _prepare(
        self,
        execution_id: str,
        plan: ExecutionPlan,
        input: Any,
        started_at: datetime,
        state: ExecutionState | None,
        star: str,
    ) -> Execution:
        execution = Execution(self, execution_id)
        runner = AttemptRunner(
            execution_id=execution_id,
            star=star,
            plan=plan,
            input=input,
            started_at=started_at,
            registry=self.registry,
            services=self._services,
            writer=self._writer,
            blobs=self._blobs,
            spill_bytes=self._spill,
            clock=self._clock,
            rng=self._rng,
            env=self._env,
            resilience=self._resilience,
            reach=self._reach,
        )
        execution._scheduler = Scheduler(
            plan,
            runner,
            state,
            lambda kind, node, body: self._append_now(execution_id, kind, body, node=node),
        )
        if state is not None and state.cancel_requested:
            reason = "cancellation was requested before the resume"
            execution._cancel_reason = reason
            execution._scheduler.stop(
                Outcome("cancelled", {"code": "cancelled", "message": reason})
            )
        return execution

    def _begin(self, execution: Execution, plan: ExecutionPlan) -> Execution:
        self._active[execution.id] = execution
        execution._task = asyncio.get_running_loop().create_task(
            self._drive(execution, plan), name=f"nebula-execution-{execution.id}"
        )
        return execution

    async def _drive(self, execution: Execution, plan: ExecutionPlan) -> ExecutionResult:
        scheduler = execution._scheduler
        assert scheduler is not None
        renew = asyncio.get_running_loop().create_task(self._renew(execution, scheduler))
        try:
            try:
                async with asyncio.timeout(plan.timeout_s):
                    outcome = await scheduler.run()
            except TimeoutError:
                scheduler.stop(Outcome("failed"))
                outcome = Outcome(
                    "failed",
                    {"code": "timeout", "message": f"the execution ran over {plan.timeout_s} s"},
                )
            return await self._conclude(execution.id, outcome, scheduler)
        finally:
            renew.cancel()
            self._active.pop(execution.id, None)

    async def _conclude(
        self, execution_id: str, outcome: Outcome, scheduler: Scheduler
    ) -> ExecutionResult:
        status = outcome.status
        if status != "abandoned":
            fields: dict[str, Any] = {}
            if outcome.error is not None:
                fields = {"error": outcome.error, "node": outcome.node}
            if status == "cancelled":
                fields = {"reason": (outcome.error or {}).get("message", "")}
            if not await self._decide(execution_id, status, dumps(fields)):
                status = "abandoned"  # another worker decided it first
        if status == "abandoned":
            row = self._repo.get_execution(execution_id)
            status = row.status if row is not None else _RUNNING
        return ExecutionResult(
            execution_id,
            ExecutionStatus(status),
            scheduler.results(),
            scheduler.skipped(),
            outcome.error,
            outcome.node,
        )

    def _lease_end(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._ttl)

    async def _renew(self, execution: Execution, scheduler: Scheduler) -> None:
        """Renew the lease every third of its time; on the way, notice a cancellation that
        another process journaled (:meth:`cancel`)."""
        seen = 0
        while True:
            await asyncio.sleep(self._ttl / 3)
            now = self._clock.now()
            kept = self._writer.acquire_lease(execution.id, self.holder, self._lease_end(now), now)
            if not await asyncio.wrap_future(kept):
                _log.warning("lost the lease of execution %s; stopping here", execution.id)
                scheduler.stop(Outcome("abandoned"))
                return
            rows = await asyncio.to_thread(self._repo.read_journal, execution.id, seen)
            seen = rows[-1].seq if rows else seen
            for row in rows:
                if row.kind == CANCELLATION_REQUESTED:
                    reason = str(JournalEntry.of(row).body.get("reason", ""))
                    scheduler.stop(Outcome("cancelled", {"code": "cancelled", "message": reason}))
                    return

    def _append_now(
        self, execution_id: str, kind: str, body: str, *, node: str | None = None
    ) -> None:
        self._writer.append(execution_id, kind, body, self._clock.now(), node=node)

    async def cancel(self, execution_id: str, reason: str = "cancelled by request") -> None:
        """Cancel an execution wherever it runs.

        Here: at once. In another process: the request is journaled and that process stops at
        its next lease renewal. Nowhere (its lease lapsed): it is cancelled here and now.
        """
        local = self._active.get(execution_id)
        if local is not None:
            await local.cancel(reason)
            await local.result()  # stopped and journaled: the caller reads "cancelled"
            return
        row = self._repo.get_execution(execution_id)
        if row is None:
            raise ExecutionNotFound(f"No execution has id {execution_id!r}.", id=execution_id)
        if row.status != _RUNNING:
            return
        body = dumps({"reason": reason})
        requested = self._writer.append(
            execution_id, CANCELLATION_REQUESTED, body, self._clock.now(), wait=True
        )
        assert requested is not None
        await asyncio.wrap_future(requested)
        now = self._clock.now()
        took = self._writer.acquire_lease(execution_id, self.holder, self._lease_end(now), now)
        if await asyncio.wrap_future(took):
            await self._decide(execution_id, "cancelled", body)

    async def _decide(self, execution_id: str, status: str, body: str) -> bool:
        """Write the terminal status (compare-and-set from running, which also ends the lease);
        ``False`` if the execution was no longer running."""
        done = self._writer.transition(
            execution_id, _RUNNING, status, _TERMINAL_KIND[status], body, self._clock.now()
        )
        decided = await asyncio.wrap_future(done)
        if not decided:  # another worker decided it first: let go of what this one held
            await asyncio.wrap_future(self._writer.release_lease(execution_id, self.holder))
        return decided

    # -- recovery -------------------------------------------------------------------------------

    async def resume(self, execution_id: str) -> Execution | None:
        """Take over a ``running`` execution whose lease lapsed; ``None`` if someone has it."""
        if execution_id in self._active:
            return self._active[execution_id]
        now = self._clock.now()
        took = self._writer.acquire_lease(execution_id, self.holder, self._lease_end(now), now)
        if not await asyncio.wrap_future(took):
            if self._repo.get_execution(execution_id) is None:
                raise ExecutionNotFound(f"No execution has id {execution_id!r}.", id=execution_id)
            return None
        state = self.state(execution_id)
        if state.status is not ExecutionStatus.RUNNING:
            await asyncio.wrap_future(self._writer.release_lease(execution_id, self.holder))
            return None
        try:
            execution = self._prepare(
                execution_id,
                state.plan,
                load_value(self._start_body(execution_id), "input", self._blobs),
                state.started_at,
                state,
                self._star_of(execution_id),
            )
        except Exception:
            # This runtime cannot run it (an action missing here): leave it to another.
            await asyncio.wrap_future(self._writer.release_lease(execution_id, self.holder))
            raise
        self._append_now(execution_id, EXECUTION_RESUMED, dumps({"holder": self.holder}))
        return self._begin(execution, state.plan)

    def _star_of(self, execution_id: str) -> str:
        row = self._repo.get_execution(execution_id)
        return row.star if row is not None else self.default_star

    def _start_body(self, execution_id: str) -> dict[str, Any]:
        return self.journal(execution_id)[0].body

    async def reap(self, limit: int = 100) -> list[Execution]:
        """One pass of the reaper: resume every execution whose lease has lapsed."""
        expired = self._repo.find_expired_leases(_RUNNING, self._clock.now(), limit)
        resumed = []
        for execution_id in expired:
            if execution_id in self._active:
                continue
            execution = await self.resume(execution_id)
            if execution is not None:
                resumed.append(execution)
        return resumed

    def start_reaper(self, interval_s: float = 5.0) -> None:
        """Reap in the background every ``interval_s`` until :meth:`aclose`."""

        async def loop() -> None:
            while True:
                try:
                    await self.reap()
                except Exception:  # keep reaping; the next pass retries
                    _log.exception("the workflow reaper failed a pass")
                await asyncio.sleep(interval_s)

        if self._reaper is None and not self._closed:
            self._reaper = asyncio.get_running_loop().create_task(loop())

    # -- reading --------------------------------------------------------------------------------

    def journal(self, execution_id: str) -> list[JournalEntry]:
        rows = self._repo.read_journal(execution_id)
        if not rows:
            raise ExecutionNotFound(f"No execution has id {execution_id!r}.", id=execution_id)
        return [JournalEntry.of(r) for r in rows]

    def state(self, execution_id: str) -> ExecutionState:
        return replay(self.journal(execution_id))

    def executions(
        self,
        status: str | None = None,
        limit: int = 100,
        *,
        star: str | None = None,
        workflow_id: str | None = None,
    ) -> list[ExecutionRow]:
        """Newest first; optionally only one status, star or workflow."""
        return self._repo.list_executions(status, limit, star=star, workflow_id=workflow_id)

    def find_execution(self, execution_id: str) -> ExecutionRow | None:
        """The execution's current status, lease and star, or ``None`` if there is none."""
        return self._repo.get_execution(execution_id)

    def star_journal(
        self, star: str, after_seq: int, limit: int, execution_id: str | None = None
    ) -> list[JournalEntry]:
        """Entries after ``after_seq`` of ``star``'s executions (or one of them), by ``seq``:
        what a subscriber resuming from ``after_seq`` missed."""
        rows = self._repo.read_star_journal(star, after_seq, limit, execution_id)
        return [JournalEntry.of(r) for r in rows]

    def last_seq(self) -> int:
        """The journal's highest sequence number so far."""
        return self._repo.last_seq()

    def last_numbered_execution(self, prefix: str) -> int | None:
        """The largest ``n`` of an execution id ``prefix + str(n)``: where a trigger whose fire
        ids end with a sequence number stopped."""
        return self._repo.last_numbered_id(prefix)

    def load_value(self, body: dict[str, Any], name: str) -> Any:
        """The value ``name`` of an entry's body, read from the blob store if it was spilled."""
        return load_value(body, name, self._blobs)

    def subscribe(self, callback: Callable[[JournalEntry], None]) -> Callable[[], None]:
        """Call ``callback`` with every entry once it is durable (on the journal thread).

        Events are a projection of the journal: a subscriber that misses some can always read
        the journal itself. Returns a function that unsubscribes.
        """

        def deliver(rows: Any) -> None:
            for row in rows:
                try:
                    callback(JournalEntry.of(row))
                except Exception:  # a subscriber's bug must not stop the journal
                    _log.exception("a workflow event subscriber failed")

        return self._writer.subscribe(deliver)

    # -- lifecycle ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop the reaper, abandon running executions, close storage.

        An abandoned execution stays ``running`` with its lease released, so the next runtime's
        reaper resumes it at once instead of waiting for the lease to lapse.
        """
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        # Until none is left: a start or resume whose commit was in flight when closing began
        # begins while the others are awaited, and must not outlive the loop either.
        while self._active:
            for execution in list(self._active.values()):
                await self._abandon(execution)
        await self._services.aclose()
        await asyncio.to_thread(self._writer.close)
        if self._owns_repo:
            self._repo.close()

    async def _abandon(self, execution: Execution) -> None:
        """Stop a run of this runtime and let go of it: it stays ``running`` for another."""
        if execution._scheduler is not None:
            execution._scheduler.stop(Outcome("abandoned"))
        if execution._task is not None:
            with contextlib.suppress(Exception):
                await execution._task
        self._active.pop(execution.id, None)
        with contextlib.suppress(NebulaError):  # a failed journal: the lease lapses instead
            await asyncio.wrap_future(self._writer.release_lease(execution.id, self.holder))

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
