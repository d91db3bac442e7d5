"""Workflows of an embedded store: a runtime on the store's DuckDB file, on a thread of its own.

A notebook cell is synchronous and holds the kernel's event loop while it runs, so the runtime
cannot live on that loop: it gets a dedicated loop thread, started with the first use of
``store.workflows`` and stopped (runs still going are left for the next runtime's reaper to
resume) before the store closes. Every call goes through :class:`WorkflowService` with the
store's principal and default star, as the server's handlers do with the caller's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from nebula_kernel.client._workflows_backend import EntrySink
from nebula_kernel.errors import StoreClosed

if TYPE_CHECKING:
    from nebula_kernel.client._workflows_actors import LocalAction
    from nebula_kernel.resources import ResourceStore
    from nebula_kernel.workflows import ExecutionEvent, Runtime, WorkflowService

__all__ = ["EmbeddedBackend"]

T = TypeVar("T")

# As the server's default: a run a previous kernel left behind is resumed at once on open.
_log = logging.getLogger("nebula.workflows")
_REAPER_INTERVAL_S = 5.0
# How long closing waits for tasks the runtime left to finish once cancelled.
_DRAIN_TIMEOUT_S = 5.0


class EmbeddedBackend:
    def __init__(self, store: ResourceStore) -> None:
        from nebula_kernel.workflows import WorkflowService

        self._store = store
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="nebula-workflows", daemon=True
        )
        self._thread.start()
        try:
            self._runtime = self._on_loop(self._open())
        except BaseException:
            self._stop_loop()
            raise
        self._service: WorkflowService = WorkflowService(self._runtime, store)

    async def _open(self) -> Runtime:
        from nebula_kernel.workflows import open_runtime

        runtime = open_runtime(store=self._store)
        runtime.start_reaper(_REAPER_INTERVAL_S)
        return runtime

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            work.close()
            raise StoreClosed("This store's workflows are closed; connect again.")
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def _read(self, read: Callable[[], T]) -> T:
        """Run a read on the runtime's thread, in order with its writes."""

        async def call() -> T:
            return read()

        return self._on_loop(call())

    # -- the backend ------------------------------------------------------------------------------

    def validate(self, source: str, format: str) -> dict[str, Any]:
        checked = self._service.validate(source, "json" if format == "json" else "yaml")
        definition = checked.definition
        return {
            "ok": checked.ok,
            "problems": [p.to_dict() for p in checked.problems],
            "workflow": None if definition is None else definition.to_json_dict(),
        }

    def start(
        self, source: str, format: str, input: Any, execution_id: str | None
    ) -> dict[str, Any]:
        started = self._on_loop(
            self._service.start(
                source,
                input,
                format="json" if format == "json" else "yaml",
                execution_id=execution_id,
            )
        )
        return started.to_json()

    def executions(
        self, status: str | None, workflow_id: str | None, limit: int
    ) -> list[dict[str, Any]]:
        found = self._read(
            lambda: self._service.executions(status=status, workflow_id=workflow_id, limit=limit)
        )
        return [e.to_json() for e in found]

    def execution(self, execution_id: str) -> dict[str, Any]:
        return self._read(lambda: self._service.execution(execution_id).to_json())

    def journal(self, execution_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        from nebula_kernel.workflows import entry_json

        return self._read(
            lambda: [
                entry_json(e) for e in self._service.journal(execution_id, after_seq=after_seq)
            ]
        )

    def cancel(self, execution_id: str) -> dict[str, Any]:
        return self._on_loop(self._service.cancel(execution_id)).to_json()

    def resume(self, execution_id: str) -> dict[str, Any]:
        return self._on_loop(self._service.resume(execution_id)).to_json()

    def actions(self) -> list[dict[str, Any]]:
        return self._service.actions()

    def watch(self, execution_id: str, sink: EntrySink) -> Callable[[], None]:
        # Unauthorized here: the follower reads the journal (authorized) before showing any.
        def on_event(event: ExecutionEvent) -> None:
            if event.entry.execution_id == execution_id:
                sink(event.to_json()["entry"])

        return self._service.subscribe(on_event)

    def provide(self, action: LocalAction) -> Callable[[], None]:
        from nebula_kernel.auth import Role
        from nebula_kernel.client._workflows_actors import local_provider

        # As the server asks of a registering socket: an editor of the star.
        star, _ = self._store.access(None, None, Role.EDITOR)
        return self._service.actors.provide(
            action.name, action.version, star, local_provider(action), action.description
        )

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the runtime (runs still going stay resumable), then its thread."""
        if self._closed:
            return
        try:
            self._on_loop(self._runtime.aclose())
        finally:
            self._closed = True
            self._stop_loop()

    def _stop_loop(self) -> None:
        # Whatever the runtime left (it should leave nothing), no task outlives its loop: a task
        # destroyed pending after the loop closed fails its coroutine's cleanup at random times.
        drained = asyncio.run_coroutine_threadsafe(_cancel_pending(), self._loop)
        with contextlib.suppress(Exception):
            drained.result(timeout=_DRAIN_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def _cancel_pending() -> None:
    """Cancel every other task of the running loop and wait for them to finish."""
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if pending:
        _log.warning("closing workflows left %d task(s): %s", len(pending), pending)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
