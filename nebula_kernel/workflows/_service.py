"""The workflow runtime as hosts offer it: every call scoped to a star and authorized.

The Jupyter server's handlers and gateway, and the kernel's embedded client, go through this
one facade, so they agree on who may do what: a viewer of a star reads its executions, an
editor starts, cancels and resumes them. Like :class:`~nebula_kernel.lookback.Lookback`, each
call names ``star=`` and ``principal=`` and the store checks them before anything is read. To
reads, cancels and resumes, an execution of another star is :class:`ExecutionNotFound`, exactly
as one that does not exist. (Ids are unique across stars, so starting with an id another star
took is :class:`AlreadyExists`, which says nothing of where.)

Definitions, actions and expressions read no data, so checking them needs no star.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from nebula_kernel.auth import Principal, Role
from nebula_kernel.errors import (
    Conflict,
    ExecutionNotFound,
    InvalidIdentifier,
    InvalidRequest,
    NebulaError,
)
from nebula_kernel.ports import ExecutionRow
from nebula_kernel.workflows._actors import ActorTable
from nebula_kernel.workflows._checks import ExpressionCheck, ExpressionMode, check_expression
from nebula_kernel.workflows._definition import WorkflowDefinition
from nebula_kernel.workflows._inspection import (
    ExecutionDetail,
    ExecutionEvent,
    ExecutionSummary,
    inspect_execution,
    status_after,
)
from nebula_kernel.workflows._journal import EXECUTION_STARTED, JournalEntry
from nebula_kernel.workflows._loader import (
    WorkflowCheck,
    WorkflowFormat,
    check_workflow_text,
    parse_workflow,
)
from nebula_kernel.workflows._replay import ExecutionStatus
from nebula_kernel.workflows._runtime import Runtime

if TYPE_CHECKING:
    from nebula_kernel.resources import ResourceStore

__all__ = ["WorkflowService"]

_EXECUTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_MAX_LIST = 1000
_MAX_JOURNAL_PAGE = 100_000  # entries per journal() call; read on with after_seq
_OWNERS_CACHED = 4096
_STATUSES = tuple(s.value for s in ExecutionStatus)


def _check_execution_id(execution_id: str) -> str:
    if not _EXECUTION_ID.fullmatch(execution_id):
        raise InvalidIdentifier(
            f"Execution id {execution_id[:64]!r} is not valid: use letters, digits, '_', '-', "
            "'.' and ':', starting with a letter or digit (at most 128 characters).",
        )
    return execution_id


class _Owners:
    """Which star and workflow each execution belongs to, for events: learned from its first
    entry, or read once from its row (a run resumed here). Bounded; safe from any thread."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def of(self, entry: JournalEntry) -> tuple[str, str] | None:
        execution_id = entry.execution_id
        with self._lock:
            known = self._known.get(execution_id)
        if known is not None:
            return known
        star = entry.body.get("star") if entry.kind == EXECUTION_STARTED else None
        if isinstance(star, str):
            known = (star, str(entry.body["plan"]["workflow_id"]))
        else:
            row = self._runtime.find_execution(execution_id)
            if row is None:
                return None
            known = (row.star, row.workflow_id)
        with self._lock:
            self._known[execution_id] = known
            while len(self._known) > _OWNERS_CACHED:
                self._known.popitem(last=False)
        return known


class WorkflowService:
    """``service.start(source, input, star=..., principal=...)``, ``.executions(...)``,
    ``.execution(id, ...)``, ``.journal(id, ...)``, ``.cancel(id, ...)``, ``.resume(id, ...)``,
    plus ``validate``, ``check_expression`` and ``actions`` for editors."""

    def __init__(self, runtime: Runtime, store: ResourceStore) -> None:
        self._runtime = runtime
        self._store = store
        self._owners = _Owners(runtime)
        self.actors = ActorTable(runtime.registry)
        """The kernels serving actor actions, per star, on top of the runtime's registry."""

    # -- definitions ------------------------------------------------------------------------------

    def actions(self, principal: Principal | None = None) -> list[dict[str, Any]]:
        """Every action this runtime can run for ``principal``, described for palettes and
        parameter forms: the built-in and registered ones, and the actions kernels serve in
        stars it may read (another tenant's kernels are none of its business)."""
        listed = []
        for spec in self._runtime.registry:
            stars = self.actors.serves(spec.id, spec.version)
            if stars is not None and not any(self._readable(star, principal) for star in stars):
                continue
            listed.append(spec.describe())
        return listed

    def _readable(self, star: str, principal: Principal | None) -> bool:
        try:
            self.readable_star(star, principal)
        except NebulaError:
            return False
        return True

    def validate(self, source: str, format: WorkflowFormat = "yaml") -> WorkflowCheck:
        """Every problem of a workflow's text, each with its node, path and line."""
        return check_workflow_text(source, format=format, registry=self._runtime.registry)

    def check_expression(
        self,
        text: str,
        mode: ExpressionMode = "expression",
        nodes: Collection[str] | None = None,
    ) -> ExpressionCheck:
        return check_expression(text, mode, nodes)

    # -- executions -------------------------------------------------------------------------------

    def readable_star(self, star: str | None, principal: Principal | None) -> str:
        """The star's name if ``principal`` may read its executions; raises otherwise."""
        name, _ = self._store.access(star, principal, Role.VIEWER)
        return name

    def editable_star(self, star: str | None, principal: Principal | None) -> str:
        """The star's name if ``principal`` may start and stop its executions; raises
        otherwise (hosts ask before they read a workflow file for the caller)."""
        name, _ = self._store.access(star, principal, Role.EDITOR)
        return name

    def _owned(self, execution_id: str, star: str) -> ExecutionRow:
        row = self._runtime.find_execution(_check_execution_id(execution_id))
        if row is None or row.star != star:
            raise ExecutionNotFound(
                f"Star {star!r} has no execution {execution_id!r}; list them with executions().",
                star=star,
                execution_id=execution_id,
            )
        return row

    def _summary(self, execution_id: str) -> ExecutionSummary:
        row = self._runtime.find_execution(execution_id)
        assert row is not None  # executions are never deleted
        return ExecutionSummary.of(row)

    async def start(
        self,
        workflow: WorkflowDefinition | str,
        input: Any = None,
        *,
        format: WorkflowFormat = "yaml",
        star: str | None = None,
        principal: Principal | None = None,
        execution_id: str | None = None,
    ) -> ExecutionSummary:
        """Start ``workflow`` (a definition, or its YAML/JSON text) in ``star``; editors only.

        A bad text raises :class:`InvalidDefinition` listing every problem with its line.
        """
        name = self.editable_star(star, principal)
        if execution_id is not None:
            _check_execution_id(execution_id)
        if isinstance(workflow, str):  # up to megabytes of YAML: off the event loop
            registry = self._runtime.registry
            definition = await asyncio.to_thread(
                parse_workflow, workflow, registry=registry, format=format
            )
        else:
            definition = workflow
        execution = await self._runtime.start(
            definition, input, execution_id=execution_id, star=name
        )
        return self._summary(execution.id)

    def executions(
        self,
        *,
        star: str | None = None,
        principal: Principal | None = None,
        status: str | None = None,
        workflow_id: str | None = None,
        limit: int = 100,
    ) -> list[ExecutionSummary]:
        """The star's executions, newest first."""
        name = self.readable_star(star, principal)
        if status is not None and status not in _STATUSES:
            raise InvalidRequest(f"Unknown status {status[:32]!r}; use one of {list(_STATUSES)}.")
        if not 1 <= limit <= _MAX_LIST:
            raise InvalidRequest(f"limit must be between 1 and {_MAX_LIST}.")
        rows = self._runtime.executions(status, limit, star=name, workflow_id=workflow_id)
        return [ExecutionSummary.of(r) for r in rows]

    def execution(
        self, execution_id: str, *, star: str | None = None, principal: Principal | None = None
    ) -> ExecutionDetail:
        """The execution's state, plan, and each node's attempts, times, input and output."""
        row = self._owned(execution_id, self.readable_star(star, principal))
        return inspect_execution(row, self._runtime.journal(execution_id), self._runtime.load_value)

    def journal(
        self,
        execution_id: str,
        *,
        star: str | None = None,
        principal: Principal | None = None,
        after_seq: int = 0,
    ) -> list[JournalEntry]:
        """The execution's journal entries after ``after_seq``, in order (at most 100,000: for
        more, call again from the last one's ``seq``)."""
        name = self.readable_star(star, principal)
        self._owned(execution_id, name)
        return self._runtime.star_journal(name, after_seq, _MAX_JOURNAL_PAGE, execution_id)

    async def cancel(
        self,
        execution_id: str,
        *,
        star: str | None = None,
        principal: Principal | None = None,
        reason: str = "cancelled by request",
    ) -> ExecutionSummary:
        """Cancel a running execution (nothing happens to one that has ended); editors only."""
        self._owned(execution_id, self.editable_star(star, principal))
        await self._runtime.cancel(execution_id, reason)
        return self._summary(execution_id)

    async def resume(
        self, execution_id: str, *, star: str | None = None, principal: Principal | None = None
    ) -> ExecutionSummary:
        """Take over a running execution whose worker stopped; editors only."""
        row = self._owned(execution_id, self.editable_star(star, principal))
        if await self._runtime.resume(execution_id) is None:
            raise Conflict(
                f"Execution {execution_id!r} is {row.status} and not waiting to be resumed: only "
                "a running execution whose worker stopped (its lease lapsed) can be.",
                execution_id=execution_id,
                status=row.status,
            )
        return self._summary(execution_id)

    # -- events -----------------------------------------------------------------------------------

    def last_seq(self) -> int:
        return self._runtime.last_seq()

    def _event(self, entry: JournalEntry) -> ExecutionEvent | None:
        owner = self._owners.of(entry)
        if owner is None:
            return None
        return ExecutionEvent(entry, owner[0], owner[1], status_after(entry))

    def subscribe(self, callback: Callable[[ExecutionEvent], None]) -> Callable[[], None]:
        """Call ``callback`` with every durable entry this runtime writes, for every star (on
        the journal thread: hand it over, do not block); returns the unsubscribe function.
        Callers authorize each recipient against the event's ``star``."""

        def on_entry(entry: JournalEntry) -> None:
            event = self._event(entry)
            if event is not None:
                callback(event)

        return self._runtime.subscribe(on_entry)

    def missed(
        self, star: str, after_seq: int, limit: int, execution_id: str | None = None
    ) -> list[ExecutionEvent]:
        """The events of ``star`` (already authorized) after ``after_seq``, in order, at most
        ``limit``: what a subscriber resuming from there missed."""
        entries = self._runtime.star_journal(star, after_seq, limit, execution_id)
        return [e for e in map(self._event, entries) if e is not None]
