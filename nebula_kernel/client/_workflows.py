"""``store.workflows``: validate, run and follow workflows from a notebook, in either mode.

::

    nb = nk.connect()
    wf = Workflow("hello")
    wf.node("greet", "log", message="Hello {{ $input.name }}")
    result = nb.workflows.run(wf, {"name": "Ada"})     # blocks, showing progress
    result.results["greet"]                             # {'message': 'Hello Ada'}

    execution = nb.workflows.start("greeting.workflow.yaml", {"name": "Ada"})
    execution.widget()                                  # a live view of its nodes
    execution.wait(timeout=30).status                   # 'completed'
    execution.journal().to_pandas()                     # the journal, one row per entry

Embedded (``nk.open_store``) and remote (``nk.connect()`` under a server) stores answer the same
calls with the same types and raise the same errors: an unknown execution is
:class:`~nebula_kernel.errors.ExecutionNotFound`, a viewer starting one
:class:`~nebula_kernel.errors.Forbidden`, a workflow with problems
:class:`~nebula_kernel.errors.InvalidDefinition`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from html import escape
from inspect import getdoc
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from nebula_kernel.client._workflows_actors import ActionHandle, LocalAction
from nebula_kernel.client._workflows_backend import Backend
from nebula_kernel.client._workflows_models import (
    ActionInfo,
    ExecutionInfo,
    NodeRun,
    RunResult,
    WorkflowProblem,
    nodes_html,
)
from nebula_kernel.client._workflows_progress import Follower, ProgressView
from nebula_kernel.client._workflows_source import WorkflowLike, workflow_source
from nebula_kernel.client._workflows_views import choose_view

if TYPE_CHECKING:
    from nebula_kernel.lookback import ResultTable
    from nebula_kernel.widgets import ExecutionWidget

__all__ = ["ExecutionHandle", "Workflows"]

_EXECUTION_COLUMNS = ("id", "workflow_id", "star", "status", "created_at", "updated_at")
_JOURNAL_COLUMNS = ("seq", "kind", "node_id", "attempt", "written_at", "body")


def _table(columns: tuple[str, ...], records: list[dict[str, Any]]) -> ResultTable:
    from nebula_kernel.lookback import ResultTable

    return ResultTable.from_records(columns, records)


def _with_times(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {
        k: datetime.fromisoformat(v) if k in names and isinstance(v, str) else v
        for k, v in record.items()
    }


class ExecutionHandle:
    """One execution, wherever it runs: read its state, wait for it, cancel or resume it."""

    def __init__(self, backend: Backend, summary: dict[str, Any]) -> None:
        self._backend = backend
        self.info = ExecutionInfo.model_validate(summary)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def workflow_id(self) -> str:
        return self.info.workflow_id

    def _refresh(self, summary: dict[str, Any]) -> None:
        self.info = ExecutionInfo.model_validate(summary)

    def result(self) -> RunResult:
        """Where it stands now (``status`` is ``running`` until it concludes)."""
        result = RunResult.from_detail(self._backend.execution(self.id))
        self.info = result.execution
        return result

    def status(self) -> str:
        return self.result().status

    def nodes(self) -> dict[str, NodeRun]:
        """Each node's state, attempts, times, last input and output, in plan order."""
        return self.result().nodes

    def journal(self) -> ResultTable:
        """Every journal entry in order (``.records()`` or ``.to_pandas()``): the truth the
        states are folded from."""
        entries = [_with_times(e, "written_at") for e in self._backend.journal(self.id)]
        return _table(_JOURNAL_COLUMNS, entries)

    def wait(
        self, timeout: float | None = None, *, progress: bool | str | ProgressView = False
    ) -> RunResult:
        """Block until it concludes and return how; ``progress`` as for ``run()``.

        Raises :class:`TimeoutError` if it is still running after ``timeout`` seconds (it keeps
        running: wait again, or cancel it).
        """
        return self._wait(timeout, choose_view(progress, self.id))

    def _wait(self, timeout: float | None, view: ProgressView | None) -> RunResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        follower = Follower(self._backend, self.id, view or (lambda progress, changed: None))
        try:
            while not follower.progress.concluded:
                left = 3600.0 if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"Execution {self.id} is still running after {timeout} s; wait again, "
                        "or cancel() it."
                    )
                follower.pump(left)
        finally:
            follower.close()
        return self.result()

    def cancel(self) -> ExecutionInfo:
        """Cancel it (an execution that has ended stays as it ended); returns its summary."""
        self._refresh(self._backend.cancel(self.id))
        return self.info

    def resume(self) -> ExecutionInfo:
        """Take it over if its worker stopped (a kernel or server that went away); a running
        execution this side already runs is left as it is. One that has ended raises
        :class:`~nebula_kernel.errors.Conflict`."""
        self._refresh(self._backend.resume(self.id))
        return self.info

    def widget(self) -> ExecutionWidget:
        """A live view of its nodes, following it until it concludes (or the widget closes)."""
        from nebula_kernel.widgets import ExecutionWidget

        return ExecutionWidget.following(self._backend, self.id)

    def __repr__(self) -> str:
        return f"ExecutionHandle({self.id!r}, workflow={self.workflow_id!r}, {self.info.status})"

    def _repr_html_(self) -> str:
        result = self.result()
        return (
            f"<div><strong>{escape(self.workflow_id)}</strong> "
            f"<small>execution {escape(self.id)}</small>: <b>{escape(result.status)}</b>"
            f"{nodes_html(result.nodes.values())}</div>"
        )


class Workflows:
    """The workflows of one store (its default star, as its principal or token's user)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def validate(self, workflow: WorkflowLike) -> list[WorkflowProblem]:
        """Every problem of ``workflow`` (empty when it can run), each with node, path, line."""
        source = workflow_source(workflow)
        checked = self._backend.validate(source.text, source.format)
        problems = [WorkflowProblem.model_validate(p) for p in checked["problems"]]
        if source.written:
            return problems
        # Text made here from a builder or a definition: its line numbers point nowhere.
        return [p.model_copy(update={"line": None}) for p in problems]

    def start(
        self, workflow: WorkflowLike, input: Any = None, *, execution_id: str | None = None
    ) -> ExecutionHandle:
        """Start ``workflow`` with ``input`` and return at once. A chosen ``execution_id``
        (an idempotency key) that exists already raises
        :class:`~nebula_kernel.errors.AlreadyExists`."""
        source = workflow_source(workflow)
        started = self._backend.start(source.text, source.format, input, execution_id)
        return ExecutionHandle(self._backend, started)

    def run(
        self,
        workflow: WorkflowLike,
        input: Any = None,
        *,
        progress: bool | str | ProgressView = True,
        timeout: float | None = None,
    ) -> RunResult:
        """Start ``workflow`` and block until it concludes, showing progress: a live widget in
        JupyterLab, one line per node transition elsewhere (``progress="text"``/``"widget"``
        to choose, ``False`` for none). Interrupting the cell stops the waiting, not the
        execution: find it again with ``execution(id)`` or ``executions()``."""
        execution = self.start(workflow, input)
        return execution._wait(timeout, choose_view(progress, execution.id))

    def execution(self, execution_id: str) -> ExecutionHandle:
        """The execution with this id; :class:`~nebula_kernel.errors.ExecutionNotFound` if the
        star has none."""
        return ExecutionHandle(self._backend, self._backend.execution(execution_id)["execution"])

    def executions(
        self, *, status: str | None = None, workflow_id: str | None = None, limit: int = 100
    ) -> ResultTable:
        """The star's executions, newest first (``.records()`` or ``.to_pandas()``)."""
        found = self._backend.executions(status, workflow_id, limit)
        return _table(
            _EXECUTION_COLUMNS, [_with_times(e, "created_at", "updated_at") for e in found]
        )

    def actions(self) -> list[ActionInfo]:
        """Every action a node can use, with its input and output schemas."""
        return [ActionInfo.model_validate(a) for a in self._backend.actions()]

    def register_action(
        self,
        name: str,
        fn: Callable[[Any], Any],
        *,
        version: str = "1",
        input_model: type[BaseModel] | None = None,
        description: str = "",
    ) -> ActionHandle:
        """Serve the action ``name`` with ``fn`` (sync or async) from this kernel, for this
        store's star: each node using it calls ``fn(input)`` (``input`` validated into
        ``input_model`` if given) and gets its return value as output. Under a server the
        node runs here, over the gateway; while this kernel is disconnected such nodes fail
        with a retryable :class:`~nebula_kernel.errors.ActorUnavailable`. A built-in's name
        is refused; a viewer gets :class:`~nebula_kernel.errors.Forbidden`. ``close()`` the
        handle (or use it in ``with``) to stop serving."""
        action = LocalAction(name, version, fn, input_model, description or getdoc(fn) or "")
        return ActionHandle(action, self._backend.provide(action))

    def action(
        self,
        name: str,
        *,
        version: str = "1",
        input_model: type[BaseModel] | None = None,
        description: str = "",
    ) -> Callable[[Callable[[Any], Any]], ActionHandle]:
        """:meth:`register_action` as a decorator: ``@nb.workflows.action("score")``; the
        decorated name is the handle."""

        def register(fn: Callable[[Any], Any]) -> ActionHandle:
            return self.register_action(
                name, fn, version=version, input_model=input_model, description=description
            )

        return register

    def close(self) -> None:
        self._backend.close()
