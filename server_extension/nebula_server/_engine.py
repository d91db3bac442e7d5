"""The engines one Jupyter server hosts, opened and closed with it: the resources store and the
workflow runtime, which journals into the store's DuckDB file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nebula_kernel.auth import Principal, Role
from nebula_kernel.resources import ResourceStore, StoreLimits
from nebula_kernel.workflows import Deployments, ReachLimits, Runtime, WorkflowService
from nebula_server._principals import ClaimsMap

__all__ = ["Engines", "open_engines"]

_log = logging.getLogger("nebula_server")


@dataclass(frozen=True)
class Engines:
    store: ResourceStore
    runtime: Runtime
    workflows: WorkflowService
    claims: ClaimsMap
    path: Path
    deployments: Deployments | None = None

    def start(self, reaper_interval_s: float) -> None:
        """Begin background work; call on the server's event loop once it runs. The reaper's
        first pass resumes what a previous server left running."""
        self.runtime.start_reaper(reaper_interval_s)
        if self.deployments is not None:
            self.deployments.start()

    async def aclose(self) -> None:
        """Stop the runtime first (it writes through the store's file), then the store. Runs
        still going are left running with their leases released: the next server resumes them
        at once."""
        try:
            if self.deployments is not None:
                await self.deployments.aclose()
            await self.runtime.aclose()
        finally:
            self.store.close()


def execution_principal(star: str) -> Principal:
    """Who a workflow's resource actions act as: an editor of the execution's own star and of
    nothing else. Only an editor of that star could start it, and a workflow cannot reach
    another star's resources whatever it grants itself."""
    return Principal(f"workflow@{star}", {star: Role.EDITOR})


def open_engines(
    path: Path,
    claims: ClaimsMap,
    *,
    default_star: str,
    max_document_bytes: int,
    max_replay: int,
    lease_ttl_s: float,
    reach: ReachLimits | None = None,
    deployments: Path | None = None,
    report: Callable[[str], object] = _log.error,
) -> Engines:
    """``deployments`` is a folder of workflow files whose triggers run; ``report`` is told
    each file of it left out and why."""
    from nebula_kernel.drivers.duckdb import DuckDbResourceRepo, DuckDbTriggerState
    from nebula_kernel.workflows import open_runtime

    store = ResourceStore(
        DuckDbResourceRepo(path),
        # Fail closed: a call that forgets to pass the caller's principal is refused.
        principal=Principal("nebula-server", {}),
        default_star=default_star,
        limits=StoreLimits(max_document_bytes=max_document_bytes, max_replay=max_replay),
    )
    try:
        runtime = open_runtime(
            store=store, lease_ttl_s=lease_ttl_s, acting_as=execution_principal, reach=reach
        )
    except BaseException:
        store.close()
        raise
    deployed = None
    if deployments is not None:
        state = DuckDbTriggerState(store.repo.connection_for_queries())
        deployed = Deployments(
            runtime,
            store,
            state,
            folder=deployments,
            default_star=default_star,
            acting_as=execution_principal,
            report=report,
        )
    return Engines(store, runtime, WorkflowService(runtime, store), claims, path, deployed)
