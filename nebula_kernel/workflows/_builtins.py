"""The built-in actions that need nothing from outside: log, wait, fail, branch, python.call.

:data:`BUILTINS` lists every built-in, including the resource and HTTP actions of their own
modules.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows._actions import ActionContext, ActionSpec, action
from nebula_kernel.workflows._builtin_http import HTTP_ACTIONS
from nebula_kernel.workflows._builtin_resources import RESOURCE_ACTIONS

__all__ = ["BUILTINS"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogIn(_In):
    message: Any
    level: Literal["debug", "info", "warning", "error"] = "info"


@action("log", description="Write a message to the workflow log and pass it on.")
async def log(inputs: LogIn, ctx: ActionContext) -> dict[str, Any]:
    ctx.logger.log(
        logging.getLevelNamesMapping()[inputs.level.upper()],
        "%s/%s: %s",
        ctx.execution_id,
        ctx.node_id,
        inputs.message,
    )
    return {"message": inputs.message}


class WaitIn(_In):
    seconds: float = Field(ge=0, le=86_400)


@action("wait", description="Sleep for a number of seconds (at most a day).")
async def wait(inputs: WaitIn, ctx: ActionContext) -> dict[str, float]:
    await asyncio.sleep(inputs.seconds)
    return {"waited_s": inputs.seconds}


class FailIn(_In):
    message: str = "failed on purpose"
    code: str = "fail"
    retryable: bool = False


@action("fail", description="Fail the node with a message and an error code.")
async def fail(inputs: FailIn, ctx: ActionContext) -> None:
    raise ActionFailed(inputs.message, error_code=inputs.code, retryable=inputs.retryable)


class BranchIn(_In):
    cases: dict[str, Any] = Field(description="case name → condition; the first truthy wins")
    default: str = "default"


@action(
    "branch",
    description=(
        "Pick the first case whose value is truthy: outgoing connections test "
        "$nodes.<id>.result.case."
    ),
)
async def branch(inputs: BranchIn, ctx: ActionContext) -> dict[str, str]:
    for name, value in inputs.cases.items():
        if value:
            return {"case": name}
    return {"case": inputs.default}


class CallIn(_In):
    function: str
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)


@action(
    "python.call",
    description="Call a Python function registered in this process (registry.function).",
)
async def python_call(inputs: CallIn, ctx: ActionContext) -> Any:
    fn = ctx.services.functions.get(inputs.function)
    if fn is None:
        raise ActionFailed(
            f"No Python function {inputs.function!r} is registered in this runtime; register it "
            "with registry.function(fn) before running the workflow.",
            error_code="unknown_function",
            retryable=False,
        )
    result = fn(*inputs.args, **inputs.kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


BUILTINS: tuple[ActionSpec, ...] = (
    log,
    wait,
    fail,
    branch,
    python_call,
    *RESOURCE_ACTIONS,
    *HTTP_ACTIONS,
)
