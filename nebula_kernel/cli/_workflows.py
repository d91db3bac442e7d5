"""``nebula validate|run|executions``: workflows from a shell, embedded or on a server.

Every command but ``validate`` goes through the kernel client's ``workflows`` API, so a shell
gets what a notebook gets: with ``--url`` the server runs the workflow (its actions, its
journal, its kernels as actors); otherwise the embedded runtime does, journaling into the
store's DuckDB file (``--db``), so ``nebula executions`` sees the run afterwards and ``resume``
picks up one that was interrupted. ``validate`` needs no store: it checks the file against the
built-in actions, or against the server's actions with ``--url``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import ActionRegistry, load_workflow

if TYPE_CHECKING:
    from nebula_kernel.client import Resources
    from nebula_kernel.client._workflows import ExecutionHandle
    from nebula_kernel.client._workflows_models import RunResult

__all__ = ["run_workflow_command", "validate_file"]


def validate_file(file: str, store: Resources | None) -> dict[str, Any]:
    """The workflow's id and size if ``file`` can run; :class:`InvalidDefinition` listing every
    problem with its line otherwise."""
    if store is None:
        definition = load_workflow(file, registry=ActionRegistry.with_builtins())
    else:
        problems = store.workflows.validate(Path(file))
        if problems:
            listed = "; ".join(f"line {p.line}: {p.message}" for p in problems[:5])
            raise InvalidDefinition(
                f"{file} has {len(problems)} problem(s): {listed}.",
                problems=[p.model_dump(mode="json") for p in problems],
            )
        definition = load_workflow(file)
    return {"workflow": definition.id, "nodes": len(definition.nodes), "valid": True}


def run_workflow_command(
    args: Any, store: Resources, workflow_input: Any = None
) -> tuple[Any, bool]:
    """Run ``run`` or ``executions <action>`` on ``store``; returns (output, succeeded)."""
    workflows = store.workflows
    if args.command == "run":
        return _concluded(_wait(workflows.start(Path(args.file), workflow_input), args))
    if args.action == "list":
        found = workflows.executions(status=args.status, limit=args.limit)
        return [_summary_of(record) for record in found.records()], True
    execution = workflows.execution(args.id)
    if args.action == "show":
        return _shown(execution), True
    if args.action == "cancel":
        info = execution.cancel()
        return {"id": info.id, "status": info.status}, True
    execution.resume()
    return _concluded(_wait(execution, args))


def _wait(execution: ExecutionHandle, args: Any) -> RunResult:
    from nebula_kernel.client._workflows_views import TextProgress

    # Progress goes to stderr, so that stdout holds the result alone.
    return execution.wait(progress=False if args.json else TextProgress(sys.stderr))


def _concluded(result: RunResult) -> tuple[dict[str, Any], bool]:
    return {
        "execution": result.id,
        "status": result.status,
        "results": result.results,
        "skipped": list(result.skipped),
        "error": result.error,
    }, result.ok


def _summary_of(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in record.items()}


def _shown(execution: ExecutionHandle) -> dict[str, Any]:
    result = execution.result()
    return {
        **result.execution.model_dump(mode="json"),
        "error": result.error,
        "nodes": {n: node.model_dump(mode="json") for n, node in result.nodes.items()},
        "journal": [_summary_of(entry) for entry in execution.journal().records()],
    }
