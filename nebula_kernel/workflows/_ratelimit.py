"""Rate limits per key: a token bucket refilled at ``rate`` tokens per second up to ``burst``.

``await limiter.acquire(key)`` waits exactly as long as the bucket needs; callers are served in
the order they asked, because each one *reserves* its tokens at once (the balance may go below
zero) and then sleeps off its share of the debt. ``try_acquire`` never waits. A caller that
would wait longer than its ``max_wait`` gets :class:`~nebula_kernel.errors.RateLimited` at once
and reserves nothing.

Time and sleep are injectable, so tests never wait for real.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from nebula_kernel.errors import InvalidDefinition, InvalidRequest, RateLimited

__all__ = ["RateLimit", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``rate`` tokens per second on average, at most ``burst`` at once."""

    rate: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.rate < math.inf or not 1 <= self.burst < math.inf:
            raise InvalidDefinition(
                f"Invalid rate limit (rate={self.rate}, burst={self.burst}): rate must be a "
                "positive number of calls per second and burst a finite number >= 1.",
            )


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per key, all with one :class:`RateLimit`. Thread-safe."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str, tokens: float = 1.0) -> bool:
        """Take ``tokens`` now if the bucket has them; never waits."""
        with self._lock:
            bucket = self._refill(key, tokens)
            if bucket.tokens < tokens:
                return False
            bucket.tokens -= tokens
            return True

    async def acquire(
        self, key: str, tokens: float = 1.0, *, max_wait: float | None = None
    ) -> None:
        """Take ``tokens``, waiting for them if needed (at most ``max_wait`` seconds)."""
        with self._lock:
            bucket = self._refill(key, tokens)
            wait = max(0.0, (tokens - bucket.tokens) / self.limit.rate)
            if max_wait is not None and wait > max_wait:
                raise RateLimited(
                    f"The rate limit for {key!r} ({self.limit.rate:g}/s, burst "
                    f"{self.limit.burst:g}) needs a {wait:.2f} s wait, longer than the "
                    f"{max_wait:g} s allowed. Retry in {wait:.2f} s or allow a longer wait.",
                    key=key,
                    retry_after=wait,
                )
            bucket.tokens -= tokens
        if wait == 0:
            return
        try:
            await self._sleep(wait)
        except BaseException:
            # Cancelled while waiting: give the reservation back so later callers do not pay
            # for a call that never happened.
            with self._lock:
                bucket = self._refill(key, tokens)
                bucket.tokens = min(self.limit.burst, bucket.tokens + tokens)
            raise

    def _refill(self, key: str, tokens: float) -> _Bucket:
        if not 0 < tokens <= self.limit.burst:
            raise InvalidRequest(
                f"Cannot take {tokens:g} tokens from a bucket of burst {self.limit.burst:g}: ask "
                "for a positive amount no larger than the burst.",
            )
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.limit.burst, now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(self.limit.burst, bucket.tokens + elapsed * self.limit.rate)
        bucket.updated = now
        return bucket
