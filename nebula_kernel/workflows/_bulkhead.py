"""Bulkheads per key: at most ``max_concurrent`` calls at once, at most ``max_waiting`` queued.

A caller beyond both gets :class:`~nebula_kernel.errors.BulkheadFull` at once instead of piling
up. Waiters are served first come, first served; a freed slot is handed straight to the next
waiter, so a newcomer cannot overtake the queue. Use from one event loop (asyncio or trio).

::

    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=4, max_waiting=16))
    async with bulkhead.slot("http"):
        await call()
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from nebula_kernel.errors import BulkheadFull, InvalidDefinition

__all__ = ["Bulkhead", "BulkheadPolicy", "BulkheadStats"]


@dataclass(frozen=True, slots=True)
class BulkheadPolicy:
    """``max_waiting=None`` queues without bound; ``0`` rejects as soon as all slots are busy."""

    max_concurrent: int
    max_waiting: int | None = 0

    def __post_init__(self) -> None:
        if self.max_concurrent < 1 or (self.max_waiting is not None and self.max_waiting < 0):
            raise InvalidDefinition(
                f"Invalid bulkhead (max_concurrent={self.max_concurrent}, max_waiting="
                f"{self.max_waiting}): allow at least 1 concurrent call and a non-negative queue.",
            )


@dataclass(frozen=True, slots=True)
class BulkheadStats:
    """A key's bulkhead at one moment; ``rejected`` counts since it was created."""

    in_use: int
    waiting: int
    rejected: int


@dataclass(slots=True)
class _Compartment:
    in_use: int = 0
    rejected: int = 0
    waiters: deque[anyio.Event] = field(default_factory=deque)


class Bulkhead:
    """Concurrency caps per key, all with one :class:`BulkheadPolicy`."""

    def __init__(self, policy: BulkheadPolicy) -> None:
        self.policy = policy
        self._compartments: dict[str, _Compartment] = {}

    def stats(self, key: str) -> BulkheadStats:
        part = self._compartments.get(key) or _Compartment()
        return BulkheadStats(part.in_use, len(part.waiters), part.rejected)

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of the key's slots for the body of the ``async with``."""
        part = self._compartments.setdefault(key, _Compartment())
        await self._acquire(key, part)
        try:
            yield
        finally:
            self._release(part)

    async def _acquire(self, key: str, part: _Compartment) -> None:
        if part.in_use < self.policy.max_concurrent and not part.waiters:
            part.in_use += 1
            return
        limit = self.policy.max_waiting
        if limit is not None and len(part.waiters) >= limit:
            part.rejected += 1
            raise BulkheadFull(
                f"The bulkhead for {key!r} is full: {part.in_use} calls running (the cap is "
                f"{self.policy.max_concurrent}) and {len(part.waiters)} waiting (the queue "
                f"holds {limit}). Retry later, or raise the cap if the service can take it.",
                key=key,
                retry_after=0.0,
            )
        granted = anyio.Event()
        part.waiters.append(granted)
        try:
            await granted.wait()
        except BaseException:
            if granted.is_set():
                # The slot was handed over just as we were cancelled: pass it on.
                self._release(part)
            else:
                part.waiters.remove(granted)
            raise

    def _release(self, part: _Compartment) -> None:
        if part.waiters:
            # Hand the slot over without freeing it, so nobody can take it in between.
            part.waiters.popleft().set()
        else:
            part.in_use -= 1
