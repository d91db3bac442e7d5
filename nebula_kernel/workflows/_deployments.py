"""A folder of workflow files, deployed: the triggers they declare run until it is closed.

A host (the Jupyter server) points this at a folder. Each ``*.workflow.yaml`` / ``.json``
file in it is checked like any workflow; a file with problems, or reusing a trigger id another
file deployed first, is left out and reported (the host logs it), the others run. Trigger ids
name watermarks and fire ids, so they must be unique across the folder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nebula_kernel.auth import Principal
from nebula_kernel.errors import InvalidDefinition, NebulaError
from nebula_kernel.ports import Clock
from nebula_kernel.resources import ResourceStore
from nebula_kernel.workflows._cron import TriggerStateRepo
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._loader import WORKFLOW_SUFFIXES, load_workflow
from nebula_kernel.workflows._runtime import Runtime
from nebula_kernel.workflows._trigger_service import TriggerService
from nebula_kernel.workflows._trigger_specs import ChangeTriggerSpec, CronTriggerSpec

__all__ = ["DeployedTrigger", "Deployments"]

log = logging.getLogger("nebula.workflows")


@dataclass(frozen=True, slots=True)
class DeployedTrigger:
    """One running trigger: its spec, the star its runs belong to, and where it comes from."""

    spec: CronTriggerSpec | ChangeTriggerSpec
    star: str
    workflow_id: str
    file: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.spec.model_dump(mode="json"),
            "star": self.star,
            "workflow_id": self.workflow_id,
            "file": self.file,
        }


class Deployments:
    """Deploys a folder's workflow files; edits take effect without a restart.

    Each tick first looks at the folder: when a file changed, appeared or went away, every
    file is deployed again. That is harmless by construction: cron watermarks and fire ids are
    kept in the journal's database, so nothing fires twice, and a resource-change trigger goes
    on after the last change it started a run for, so no change is missed in between.
    """

    def __init__(
        self,
        runtime: Runtime,
        store: ResourceStore,
        state: TriggerStateRepo,
        *,
        folder: Path,
        default_star: str,
        acting_as: Callable[[str], Principal] | None = None,
        report: Callable[[str], object] = log.error,
        clock: Clock | None = None,
    ) -> None:
        """``acting_as(star)`` is who a resource-change trigger reads its star's changes as
        (default: the store's principal); ``report`` is told each file left out and why."""
        self._runtime = runtime
        self._store = store
        self._state = state
        self._folder = folder
        self._star = default_star
        self._acting_as = acting_as
        self._report = report
        self._clock = clock
        self._service = TriggerService(runtime, state, clock=clock)
        self._deployed: list[DeployedTrigger] = []
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, interval_s: float = 1.0) -> None:
        """Deploy the folder and tick every ``interval_s`` (on the host's event loop)."""
        self._redeploy()
        self._task = asyncio.get_running_loop().create_task(
            self._run(interval_s), name="nebula-triggers"
        )

    def triggers(self, star: str) -> list[DeployedTrigger]:
        """The triggers whose runs belong to ``star``."""
        return [t for t in self._deployed if t.star == star]

    async def aclose(self) -> None:
        self._service.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, interval_s: float) -> None:
        while True:
            try:
                if self._fingerprint() != self._seen:
                    self._redeploy()
                await self._service.tick()
            except Exception:
                log.exception("deployed triggers: a tick failed; retrying at the next one")
            await asyncio.sleep(interval_s)

    def _files(self) -> list[Path]:
        if not self._folder.is_dir():
            return []
        return sorted(
            p for p in self._folder.iterdir() if p.is_file() and p.name.endswith(WORKFLOW_SUFFIXES)
        )

    def _fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        stats = ((p.name, p.stat()) for p in self._files())
        return tuple((name, st.st_mtime_ns, st.st_size) for name, st in stats)

    def _redeploy(self) -> None:
        # Seen before reading: a file that changes while it is read is deployed again next tick.
        self._seen = self._fingerprint()
        self._service.close()
        self._service = TriggerService(self._runtime, self._state, clock=self._clock)
        self._deployed = []
        if not self._folder.is_dir():
            self._report(f"{self._folder}: there is no such folder")
        for file in self._files():
            try:
                self._deploy(file, load_workflow(file, registry=self._runtime.registry))
            except NebulaError as error:
                self._report(f"{file.name}: {error.message}")

    def _deploy(self, file: Path, definition: WorkflowDefinition) -> None:
        taken = {t.spec.id for t in self._deployed}
        for spec in definition.triggers:
            if spec.id in taken:
                raise InvalidDefinition(
                    f"trigger id {spec.id!r} is deployed already by another file; trigger ids "
                    "must be unique across the folder",
                    trigger=spec.id,
                )
        self._service.deploy(definition, self._store, star=self._star, acting_as=self._acting_as)
        self._deployed.extend(
            DeployedTrigger(spec, spec.star or self._star, definition.id, file.name)
            for spec in definition.triggers
        )
