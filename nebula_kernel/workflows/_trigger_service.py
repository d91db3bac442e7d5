"""Running triggers against a runtime: cron schedules and resource changes start workflows.

Each fire has a stable id (see :mod:`._cron` and :mod:`._triggers`), used as the execution id:
a fire that was already started is never started again, so re-planning after a crash, or a
change replayed after a restart, does no harm. Cron watermarks are stored after the fires they
cover are started (the order that makes a crash in between harmless).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nebula_kernel.auth import Principal
from nebula_kernel.errors import AlreadyExists
from nebula_kernel.ports import Clock, SystemClock
from nebula_kernel.resources import ResourceStore, Subscription
from nebula_kernel.workflows._builder import Workflow
from nebula_kernel.workflows._cron import CronScheduler, CronTrigger, TriggerStateRepo
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._runtime import Execution, Runtime
from nebula_kernel.workflows._trigger_specs import to_trigger
from nebula_kernel.workflows._triggers import (
    ResourceChangeTrigger,
    change_fire_prefix,
    subscribe_trigger,
)

__all__ = ["TriggerService"]

log = logging.getLogger("nebula.workflows")


@dataclass(frozen=True, slots=True)
class _Scheduled:
    trigger: CronTrigger
    workflow: WorkflowDefinition | Workflow
    star: str | None


class TriggerService:
    """Owns a runtime's triggers; call :meth:`tick` periodically (or :meth:`run`)."""

    def __init__(
        self, runtime: Runtime, state: TriggerStateRepo, *, clock: Clock | None = None
    ) -> None:
        self._runtime = runtime
        self._scheduler = CronScheduler(state)
        self._clock = clock or SystemClock()
        self._cron: list[_Scheduled] = []
        self._subscriptions: list[Subscription] = []

    def add_cron(
        self,
        trigger: CronTrigger,
        workflow: WorkflowDefinition | Workflow,
        *,
        star: str | None = None,
    ) -> None:
        """Start ``workflow`` on ``trigger``'s schedule, in ``star`` (default the runtime's)."""
        self._runtime.plan(workflow)  # refuse an invalid workflow now, not at its first fire
        self._cron.append(_Scheduled(trigger, workflow, star))

    def deploy(
        self,
        workflow: WorkflowDefinition,
        store: ResourceStore,
        *,
        star: str,
        acting_as: Callable[[str], Principal] | None = None,
    ) -> None:
        """Run the triggers ``workflow`` declares, each in its own star or else ``star``.

        A resource-change trigger reads its star's changes as ``acting_as(star)`` (default: the
        store's principal) and goes on after the last change it started a run for, so changes
        made while the host was down start their runs now. All or nothing: when one trigger
        cannot start (its star is unknown, say), none of the workflow's does.
        """
        self._runtime.plan(workflow)
        crons: list[_Scheduled] = []
        changes: list[ResourceChangeTrigger] = []
        for spec in workflow.triggers:
            trigger = to_trigger(spec, star)
            if isinstance(trigger, CronTrigger):
                crons.append(_Scheduled(trigger, workflow, spec.star or star))
            else:
                changes.append(trigger)
        subscribed = len(self._subscriptions)
        try:
            for change in changes:
                since = self._runtime.last_numbered_execution(change_fire_prefix(change))
                reader = None if acting_as is None else acting_as(change.star)
                self._subscribe(change, workflow, store, since, reader)
        except BaseException:
            for subscription in self._subscriptions[subscribed:]:
                subscription.close()
            del self._subscriptions[subscribed:]
            raise
        self._cron.extend(crons)

    async def start_once(
        self,
        fire_id: str,
        workflow: WorkflowDefinition | Workflow,
        document: Any,
        *,
        star: str | None = None,
    ) -> Execution | None:
        """Start ``workflow`` as execution ``fire_id`` (in ``star``, default the runtime's)
        unless that fire was started before."""
        try:
            return await self._runtime.start(workflow, document, execution_id=fire_id, star=star)
        except AlreadyExists:
            return None  # started before (perhaps before a restart): nothing to do

    async def tick(self) -> list[Execution]:
        """Start every cron fire due now; returns the executions it started."""
        started: list[Execution] = []
        now = self._clock.now()
        for scheduled in self._cron:
            plan = self._scheduler.plan(scheduled.trigger, now)
            for fire in plan.fires:
                execution = await self.start_once(
                    fire.fire_id, scheduled.workflow, fire.input_document(), star=scheduled.star
                )
                if execution is not None:
                    started.append(execution)
            self._scheduler.commit(plan)
        return started

    async def run(self, interval_s: float = 1.0) -> None:
        """Tick forever (cancel the task to stop); a failing tick is logged, not fatal."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("cron tick failed; retrying at the next one")
            await asyncio.sleep(interval_s)

    def add_change(
        self,
        trigger: ResourceChangeTrigger,
        workflow: WorkflowDefinition | Workflow,
        store: ResourceStore,
        *,
        since: int | None = None,
        principal: Principal | None = None,
    ) -> None:
        """Start ``workflow`` for each matching change, as an execution of the trigger's star;
        ``since`` resumes after a restart; ``principal`` is who reads the changes (default: the
        store's)."""
        self._runtime.plan(workflow)
        self._subscribe(trigger, workflow, store, since, principal)

    def _subscribe(
        self,
        trigger: ResourceChangeTrigger,
        workflow: WorkflowDefinition | Workflow,
        store: ResourceStore,
        since: int | None,
        principal: Principal | None,
    ) -> None:
        """:meth:`add_change` for a workflow already planned."""
        loop = asyncio.get_running_loop()

        def on_fire(fire_id: str, document: dict[str, Any]) -> None:  # dispatcher thread
            future = asyncio.run_coroutine_threadsafe(
                self.start_once(fire_id, workflow, document, star=trigger.star), loop
            )
            future.add_done_callback(_log_failure)

        self._subscriptions.append(
            subscribe_trigger(store, trigger, on_fire, since=since, principal=principal)
        )

    def close(self) -> None:
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions.clear()


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a resource-change trigger could not start its workflow: %s", future.exception())
