"""Kernel functions as workflow actions (clients are actors), the same in either mode.

``nb.workflows.register_action("score", fn)`` makes ``fn(input)`` the action ``score`` of the
store's default star: embedded, the runtime calls it in-process; remote, the server routes each
attempt to this kernel over its gateway (see :mod:`nebula_kernel.client._workflows_actors_remote`).
What ``fn`` returns is the node's output; what it raises fails the attempt with its exception's
type and message (never a traceback), retried as the node's retry policy says.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from nebula_kernel.errors import ActionFailed
from nebula_kernel.protocol import ActorFailure

if TYPE_CHECKING:
    from nebula_kernel.workflows import ActionContext
    from nebula_kernel.workflows._actors import Provider

__all__ = ["ActionHandle", "LocalAction", "failure_of", "local_provider"]

_MESSAGE_LIMIT = 500
_DESCRIPTION_LIMIT = 2000  # the gateway's


@dataclass(frozen=True, slots=True)
class LocalAction:
    """A function of this kernel that serves a workflow action."""

    name: str
    version: str
    fn: Callable[[Any], Any]
    input_model: type[BaseModel] | None = None
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def argument(self, inputs: Any) -> Any:
        """What ``fn`` is called with: the node's inputs, validated by ``input_model`` if any."""
        if self.input_model is None:
            return inputs
        try:
            return self.input_model.model_validate(inputs)
        except ValidationError as exc:
            raise ActionFailed(
                f"The inputs do not fit {self.input_model.__name__} of action {self.key}: "
                f"{exc.error_count()} error(s).",
                error_code="invalid_inputs",
                retryable=False,
            ) from None

    def record(self) -> dict[str, str]:
        """The registration's arguments on the wire (the star is added by the caller)."""
        description = self.description[:_DESCRIPTION_LIMIT]
        return {"action": self.name, "version": self.version, "description": description}


def output_of(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def failure_of(error: Exception) -> ActorFailure:
    """What a raised exception says about itself: its type and message, never a traceback."""
    if isinstance(error, ActionFailed):
        return ActorFailure(
            message=error.message[:_MESSAGE_LIMIT] or error.error_code,
            error_code=error.error_code,
            retryable=error.retryable,
        )
    text = f"{type(error).__name__}: {error}"[:_MESSAGE_LIMIT]
    return ActorFailure(message=text)


def local_provider(action: LocalAction) -> Provider:
    """Serve ``action`` in-process (embedded): async functions on the runtime's loop, others
    on a worker thread so they never block it."""
    from nebula_kernel.workflows._actors import actor_failed

    async def provide(inputs: dict[str, Any], ctx: ActionContext) -> Any:
        argument = action.argument(inputs)
        try:
            if action.is_async:
                out = await action.fn(argument)
            else:
                out = await asyncio.to_thread(action.fn, argument)
        except Exception as exc:
            raise actor_failed(action.key, failure_of(exc)) from None
        return output_of(out)

    return provide


class ActionHandle:
    """A registration of :class:`LocalAction`: ``close()`` (or leaving ``with``) ends it."""

    def __init__(self, action: LocalAction, withdraw: Callable[[], None]) -> None:
        self.action = action
        self._withdraw: Callable[[], None] | None = withdraw

    @property
    def closed(self) -> bool:
        return self._withdraw is None

    def close(self) -> None:
        withdraw, self._withdraw = self._withdraw, None
        if withdraw is not None:
            withdraw()

    def __enter__(self) -> ActionHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "registered"
        return f"<ActionHandle {self.action.key} {state}>"
