"""Actions served by clients (actors): a kernel provides the code, the runtime routes to it.

Each actor action gets one proxy :class:`ActionSpec` in the runtime's registry, added the first
time a client provides it and kept afterwards: workflows keep validating while its provider
reconnects. The proxy looks up who provides the action for the execution's star at each
attempt; with nobody, the attempt fails with :class:`ActorUnavailable`, which retry policies
retry. The most recent provider of an action in a star serves it (a kernel that reconnects
registers again before the server has noticed its old socket closing).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from nebula_kernel.errors import ActionFailed, ActorUnavailable, InvalidRequest
from nebula_kernel.protocol import ActorFailure
from nebula_kernel.workflows._actions import ActionContext, ActionRegistry, ActionSpec

__all__ = ["ActorInput", "ActorTable", "Provider", "actor_failed", "actor_unavailable"]

Provider = Callable[[dict[str, Any], ActionContext], Awaitable[Any]]
"""Runs one attempt: the node's inputs (JSON) and its context; returns the node's output."""


class ActorInput(BaseModel):
    """Whatever the node passes: the actor's own code validates it (its ``input_model``)."""

    model_config = ConfigDict(extra="allow")


def actor_unavailable(key: str, star: str, why: str) -> ActorUnavailable:
    return ActorUnavailable(
        f"{why} Restart the kernel that provides action {key} or run its "
        "register_action cell again; the node is retried per its retry policy.",
        key=key,
        retry_after=0.0,
        star=star,
    )


def actor_failed(key: str, failure: ActorFailure) -> ActionFailed:
    """The attempt's error when the actor's function raised (the same in either mode)."""
    return ActionFailed(
        f"Action {key} failed in its kernel: {failure.message}",
        error_code=failure.error_code,
        retryable=failure.retryable,
    )


@dataclass(eq=False)
class _Providers:
    by_star: dict[str, list[Provider]] = field(default_factory=dict)


class ActorTable:
    """Who provides each actor action, per star, on top of one runtime's registry."""

    def __init__(self, registry: ActionRegistry) -> None:
        self._registry = registry
        self._actions: dict[tuple[str, str], _Providers] = {}
        self._lock = threading.Lock()  # providers come and go on other threads than runs

    def provide(
        self, action: str, version: str, star: str, provider: Provider, description: str = ""
    ) -> Callable[[], None]:
        """Make ``provider`` serve ``action@version`` for executions of ``star``; returns the
        function that withdraws it. An action id the registry has for anything else (a
        built-in) is refused."""
        key = (action, version)
        with self._lock:
            entry = self._actions.get(key)
            if entry is None:
                if any((action, v) not in self._actions for v in self._registry.versions(action)):
                    raise InvalidRequest(
                        f"Action {action!r} is a built-in action; register your function "
                        "under another name.",
                        action=action,
                    )
                entry = self._actions[key] = _Providers()
                self._registry.add(self._proxy(action, version, description))
            entry.by_star.setdefault(star, []).append(provider)

        def withdraw() -> None:
            with self._lock:
                serving = entry.by_star.get(star, [])
                if provider in serving:
                    serving.remove(provider)

        return withdraw

    def serves(self, action: str, version: str) -> list[str] | None:
        """The stars in which a kernel serves ``action@version`` now, or ``None`` if it is not
        an actor action at all."""
        with self._lock:
            entry = self._actions.get((action, version))
            if entry is None:
                return None
            return [star for star, serving in entry.by_star.items() if serving]

    def provider(self, action: str, version: str, star: str) -> Provider | None:
        with self._lock:
            entry = self._actions.get((action, version))
            serving = entry.by_star.get(star) if entry is not None else None
            return serving[-1] if serving else None

    def _proxy(self, action: str, version: str, description: str) -> ActionSpec:
        async def run(inputs: ActorInput, ctx: ActionContext) -> Any:
            provider = self.provider(action, version, ctx.star)
            if provider is None:
                raise actor_unavailable(
                    ctx.action, ctx.star, f"No kernel provides action {ctx.action} now."
                )
            return await provider(inputs.model_dump(mode="json"), ctx)

        return ActionSpec(
            action,
            version,
            ActorInput,
            run,
            description=description or "An action served by a kernel (a client actor).",
        )
