"""Per-action protection around every attempt: a rate limit, then a circuit breaker.

Both are keyed by the action (``http.request@1``). The limiter waits for a token before the
call; the breaker refuses calls while its circuit is open with a retryable ``CircuitOpen`` that
says when to try again, which the node's retry policy honours. Per-action concurrency (the
bulkhead) is part of the execution plan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from dataclasses import dataclass, field

from nebula_kernel.workflows._breaker import CircuitBreaker
from nebula_kernel.workflows._ratelimit import RateLimiter

__all__ = ["Resilience"]

_UNGUARDED: AbstractAsyncContextManager[None] = nullcontext()


@dataclass(frozen=True, slots=True)
class Resilience:
    """``breaker`` guards every action; ``limits`` maps an action key (or ``"*"``) to a
    limiter."""

    breaker: CircuitBreaker | None = None
    limits: Mapping[str, RateLimiter] = field(default_factory=dict)

    def guard(self, action: str) -> AbstractAsyncContextManager[None]:
        """What an attempt of ``action`` runs inside: nothing at all when neither a breaker nor
        a limit is set (every attempt passes here, and most runtimes set none)."""
        if self.breaker is None and not self.limits:
            return _UNGUARDED
        return self._guarded(action)

    @asynccontextmanager
    async def _guarded(self, action: str) -> AsyncIterator[None]:
        limiter = self.limits.get(action) or self.limits.get("*")
        async with AsyncExitStack() as stack:
            if limiter is not None:
                await limiter.acquire(action)
            if self.breaker is not None:
                await stack.enter_async_context(self.breaker.guard(action))
            yield
