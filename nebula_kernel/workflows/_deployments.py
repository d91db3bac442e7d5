"""A folder of workflow files, deployed: the triggers they declare run until it is closed.

A host (the Jupyter server) points this at a folder. Each ``*.workflow.yaml`` / ``.json``
file in it that declares ``triggers`` is checked like any workflow; a file with problems, or
reusing a trigger id another file deployed first, is left out and reported (the host logs
it), the others run. Trigger ids name watermarks and fire ids, so they must be unique across
the folder.
"""

from __future__ import annotations

import asyncio
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
    def __init__(
        self,
        runtime: Runtime,
        store: ResourceStore,
        state: TriggerStateRepo,
        *,
        folder: Path,
        default_star: str,
        acting_as: Callable[[str], Principal] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``acting_as(star)`` is who a resource-change trigger reads its star's changes as
        (default: the store's principal)."""
        self._runtime = runtime
        self._store = store
        self._folder = folder
        self._star = default_star
        self._acting_as = acting_as
        self._service = TriggerService(runtime, state, clock=clock)
        self._deployed: list[DeployedTrigger] = []
        self._task: asyncio.Task[None] | None = None

    def start(self, interval_s: float = 1.0) -> list[str]:
        """Deploy every file of the folder and start ticking (on the host's event loop);
        returns what was left out and why, one line per file."""
        problems: list[str] = []
        if not self._folder.is_dir():
            problems.append(f"{self._folder}: there is no such folder")
        files = sorted(
            p for p in self._folder.glob("*") if p.is_file() and p.name.endswith(WORKFLOW_SUFFIXES)
        )
        for file in files:
            try:
                self._deploy(file, load_workflow(file, registry=self._runtime.registry))
            except NebulaError as error:
                problems.append(f"{file.name}: {error.message}")
        self._task = asyncio.get_running_loop().create_task(
            self._service.run(interval_s), name="nebula-triggers"
        )
        return problems

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

    def triggers(self, star: str) -> list[DeployedTrigger]:
        """The triggers whose runs belong to ``star``."""
        return [t for t in self._deployed if t.star == star]

    async def aclose(self) -> None:
        self._service.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
