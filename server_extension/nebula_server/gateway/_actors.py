"""Clients as actors: a gateway socket provides a workflow action, the runtime routes to it.

A socket's ``register`` call (an editor of the star) makes it the provider of an action for
that star's executions only. Each attempt of a node using the action becomes an ``invoke``
frame to the socket, whose ``invoke_result``/``invoke_error`` settles it. When the socket
closes, its registrations end and every invocation still waiting on it fails with
:class:`~nebula_kernel.errors.ActorUnavailable` (retryable), as does an attempt that finds no
provider. Everything runs on the server's event loop, where the runtime runs too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nebula_kernel.auth import Principal, Role
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.protocol import Invoke, InvokeError, InvokeResult, decode, encode
from nebula_kernel.resources import ResourceStore
from nebula_kernel.workflows import ActionContext
from nebula_kernel.workflows._actors import ActorTable, actor_failed, actor_unavailable
from nebula_server.gateway._hub import Recipient

__all__ = ["ActorHub"]

INVOKE_TIMEOUT_S = 3600.0
"""The longest an invocation waits for its kernel's answer. A node's own ``timeout_s`` bounds
the whole attempt already; this only ends waits on a kernel that is connected but never answers."""


class _Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    star: str | None = None
    action: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    version: str = Field(default="1", min_length=1, max_length=32)
    description: str = Field(default="", max_length=2000)


@dataclass(eq=False)
class _Socket:
    """What one socket provides, and its invocations still waiting for an answer."""

    withdraw: dict[tuple[str, str, str], Callable[[], None]] = field(default_factory=dict)
    pending: dict[str, tuple[ActionContext, asyncio.Future[Any]]] = field(default_factory=dict)


class ActorHub:
    """The actor registrations of one server's sockets."""

    def __init__(self, table: ActorTable, store: ResourceStore) -> None:
        self._table = table
        self._store = store
        self._sockets: dict[Recipient, _Socket] = {}
        self._ids = itertools.count(1)

    def call(self, recipient: Recipient, who: Principal, method: str, raw: dict[str, Any]) -> Any:
        """``register`` or ``unregister`` an action for ``recipient``; the star and action."""
        if method not in ("register", "unregister"):
            raise InvalidRequest(
                f"Unknown method {method[:64]!r} on 'actors'; use 'register' or 'unregister'."
            )
        args = _Registration.model_validate(raw)
        star, _ = self._store.access(args.star, who, Role.EDITOR)
        key = (star, args.action, args.version)
        socket = self._sockets.setdefault(recipient, _Socket())
        ended = socket.withdraw.pop(key, None)
        if ended is not None:
            ended()
        if method == "register":
            socket.withdraw[key] = self._table.provide(
                args.action,
                args.version,
                star,
                lambda inputs, ctx: self._invoke(recipient, socket, inputs, ctx),
                args.description,
            )
        return {"star": star, "action": args.action, "version": args.version}

    async def _invoke(
        self, recipient: Recipient, socket: _Socket, inputs: dict[str, Any], ctx: ActionContext
    ) -> Any:
        invocation = f"i{next(self._ids)}"
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        socket.pending[invocation] = (ctx, answer)
        action, _, version = ctx.action.rpartition("@")
        frame = Invoke(
            id=invocation,
            action=action,
            version=version,
            input=encode(inputs),
            star=ctx.star,
            execution_id=ctx.execution_id,
            node_id=ctx.node_id,
            attempt=ctx.attempt,
        )
        try:
            recipient.send_frames([json.dumps(frame.model_dump(), separators=(",", ":"))])
            async with asyncio.timeout(INVOKE_TIMEOUT_S):
                return await answer
        finally:
            socket.pending.pop(invocation, None)

    def settle(self, recipient: Recipient, reply: InvokeResult | InvokeError) -> None:
        """Answer an invocation this socket was sent; an unknown or late answer is dropped."""
        socket = self._sockets.get(recipient)
        waiting = socket.pending.get(reply.id) if socket is not None else None
        if waiting is None or waiting[1].done():
            return
        ctx, answer = waiting
        if isinstance(reply, InvokeResult):
            try:
                answer.set_result(decode(reply.value))
            except InvalidRequest as exc:
                answer.set_exception(exc)
            return
        answer.set_exception(actor_failed(ctx.action, reply.error))

    def drop(self, recipient: Recipient) -> None:
        """The socket closed: end its registrations and fail what waits on it (retryably)."""
        socket = self._sockets.pop(recipient, None)
        if socket is None:
            return
        for withdraw in socket.withdraw.values():
            withdraw()
        for ctx, answer in socket.pending.values():
            if not answer.done():
                why = f"The kernel that provides action {ctx.action} disconnected mid-attempt."
                answer.set_exception(actor_unavailable(ctx.action, ctx.star, why))
