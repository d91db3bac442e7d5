"""The child process of the crash-recovery test (run as a script, not collected by pytest).

``python wf_crash_child.py DB EFFECTS N MODE`` runs :func:`workflow` on the journal in ``DB``
and SIGKILLs itself at the ``N``-th journal write: ``before`` it reaches storage, or ``after``
it committed but before anyone heard back. Each node appends its idempotency key to
``EFFECTS``: the side effect whose keys must be stable across the crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo
from nebula_kernel.ports import JournalOp
from nebula_kernel.workflows import (
    ActionContext,
    ActionRegistry,
    Runtime,
    Workflow,
    WorkflowDefinition,
    action,
    expr,
)

__all__ = ["EXECUTION_ID", "KillingRepo", "registry", "workflow"]

EXECUTION_ID = "crash-test"


class EffectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    value: Any = None


def _append(file: str, line: str) -> None:
    with Path(file).open("a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())


@action("test.effect")
async def effect(inputs: EffectIn, ctx: ActionContext) -> dict[str, Any]:
    await asyncio.to_thread(_append, inputs.file, f"{ctx.node_id} {ctx.idempotency_key}\n")
    return {"node": ctx.node_id, "value": inputs.value}


def registry() -> ActionRegistry:
    made = ActionRegistry.with_builtins()
    made.add(effect)
    return made


def workflow(effects: str) -> WorkflowDefinition:
    wf = Workflow("crash")
    a = wf.node("a", "test.effect", file=effects, value=expr("$input.n"))
    b = wf.node("b", "test.effect", file=effects, value=expr("$nodes.a.result.value + 1"))
    c = wf.node("c", "test.effect", file=effects, value=expr("$nodes.b.result.value * 2"))
    d = wf.node("d", "test.effect", file=effects, value="d")
    e = wf.node("e", "test.effect", file=effects, value=expr("[$nodes.c.result.value, 'e']"))
    a >> b >> c >> e
    a >> d >> e
    return wf.build()


class KillingRepo(DuckDbExecutionRepo):
    """A journal that dies with its process at the ``kill_at``-th write."""

    kill_at = 0
    mode = "before"
    writes = 0

    def write(self, ops: Sequence[JournalOp]) -> list[bool]:
        self.writes += 1
        if self.writes == self.kill_at and self.mode == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        done = super().write(ops)
        if self.writes == self.kill_at and self.mode == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return done


async def _main(db: str, effects: str, kill_at: int, mode: str) -> None:
    from nebula_kernel.drivers.duckdb import open_duckdb

    repo = KillingRepo(open_duckdb(db), owned=True)
    repo.kill_at, repo.mode = kill_at, mode
    runtime = Runtime(repo, registry=registry(), lease_ttl_s=3600)
    result = await runtime.run(workflow(effects), {"n": 1}, execution_id=EXECUTION_ID)
    await runtime.aclose()
    print(result.status.value, flush=True)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
