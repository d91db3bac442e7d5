"""``nebula validate|run|executions``: workflows from a shell, on the embedded runtime.

Runs journal into the same DuckDB file as the store (``--db``), so ``nebula executions``
sees them afterwards and ``resume`` picks up a run that was interrupted.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nebula_kernel.errors import InvalidRequest
from nebula_kernel.workflows import ActionRegistry, JournalEntry, Runtime, load_workflow

__all__ = ["run_workflow_command"]

_PROGRESS = {"attempt_completed": "done", "attempt_failed": "failed", "node_skipped": "skipped"}


@asynccontextmanager
async def _runtime(db: Path) -> AsyncIterator[Runtime]:
    from nebula_kernel._embedded import open_store
    from nebula_kernel.workflows import open_runtime

    with open_store(db) as store:
        runtime = open_runtime(store=store)
        try:
            yield runtime
        finally:
            await runtime.aclose()  # before the store: it writes through the store's file


def _progress(entry: JournalEntry) -> None:
    word = _PROGRESS.get(entry.kind)
    if word is not None and entry.node_id is not None:
        print(f"  {entry.node_id}: {word}", file=sys.stderr, flush=True)


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "workflow": row.workflow_id,
        "star": row.star,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


async def _run(args: Any, db: Path, workflow_input: Any) -> tuple[Any, bool]:
    definition = load_workflow(args.file, registry=ActionRegistry.with_builtins())
    async with _runtime(db) as runtime:
        stop = runtime.subscribe(_progress) if not args.json else None
        try:
            result = await runtime.run(definition, workflow_input)
        finally:
            if stop is not None:
                stop()
    outcome = {
        "execution": result.execution_id,
        "status": result.status.value,
        "results": result.results,
        "skipped": list(result.skipped),
        "error": result.error,
    }
    return outcome, result.ok


async def _executions(args: Any, db: Path) -> tuple[Any, bool]:
    async with _runtime(db) as runtime:
        if args.action == "list":
            return [_summary(r) for r in runtime.executions(args.status, args.limit)], True
        if args.action == "show":
            state = runtime.state(args.id)
            return {
                "id": state.execution_id,
                "status": state.status.value,
                "started_at": state.started_at.isoformat(),
                "error": state.error,
                "nodes": {
                    n: {
                        "status": s.status.value,
                        "attempts": s.attempts,
                        "idempotency_key": s.idempotency_key,
                    }
                    for n, s in state.nodes.items()
                },
                "journal": [e.to_json() for e in runtime.journal(args.id)],
            }, True
        if args.action == "cancel":
            await runtime.cancel(args.id)
            return {"id": args.id, "status": runtime.state(args.id).status.value}, True
        execution = await runtime.resume(args.id)
        if execution is None:
            raise InvalidRequest(f"Execution {args.id} is not waiting to be resumed.")
        result = await execution.result()
        return {
            "execution": result.execution_id,
            "status": result.status.value,
            "results": result.results,
        }, result.ok


def run_workflow_command(args: Any, db: Path, workflow_input: Any = None) -> tuple[Any, bool]:
    """Run ``validate``, ``run`` or ``executions``; returns (output, succeeded)."""
    if args.command == "validate":
        definition = load_workflow(args.file, registry=ActionRegistry.with_builtins())
        return {"workflow": definition.id, "nodes": len(definition.nodes), "valid": True}, True
    if args.command == "run":
        return asyncio.run(_run(args, db, workflow_input))
    return asyncio.run(_executions(args, db))
