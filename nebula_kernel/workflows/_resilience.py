"""Retry strategies: how long to wait before the next attempt, and whether to attempt at all.

Errors carry their own retry semantics, as Temporal's ``ApplicationError`` does: an exception
with ``non_retryable = True`` or ``retryable = False`` is never retried, whatever the strategy
says (:class:`~nebula_kernel.errors.ActionFailed` sets ``retryable``). A strategy adds its own
list of error codes (``error_code`` or ``code`` attributes) and exception types that stop
retries.

Attempts are numbered from 1. ``delay(n, rng)`` is the wait after attempt ``n`` failed.
The circuit breaker, rate limiter and bulkhead live beside this module (``_breaker``,
``_ratelimit``, ``_bulkhead``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from nebula_kernel.errors import Forbidden, InvalidDefinition, InvalidRequest, NotFound

__all__ = ["JitterMode", "RandomSource", "RetryStrategy", "is_retryable", "retry_after_hint"]

JitterMode: TypeAlias = Literal["full", "equal", "none"]


class RandomSource(Protocol):
    """What a strategy needs from a RNG (``random.Random`` fits; tests pass a seeded one)."""

    def random(self) -> float: ...


def is_retryable(error: BaseException) -> bool:
    """What the error itself says: ``False`` if it is marked non-retryable, else ``True``.

    Cancellation and interpreter exits (not ``Exception``) are never retried.
    """
    if not isinstance(error, Exception):
        return False
    if getattr(error, "non_retryable", False) is True:
        return False
    return getattr(error, "retryable", True) is not False


def retry_after_hint(error: BaseException) -> float | None:
    """Seconds the error asks to wait (``retry_after``, e.g. an open circuit), if it says."""
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, (int, float)) and not isinstance(hint, bool) and hint >= 0:
        return float(hint)
    return None


# The caller's own mistakes: the same request fails the same way however often it is repeated.
_CALLER_ERRORS: tuple[type[BaseException], ...] = (InvalidRequest, NotFound, Forbidden)


@dataclass(frozen=True, slots=True)
class RetryStrategy:
    """Exponential backoff with jitter, capped, for at most ``max_attempts`` attempts.

    The un-jittered delay after attempt ``n`` is ``initial_delay * multiplier ** (n - 1)``, capped
    at ``max_delay`` (seconds). ``jitter`` spreads retries of many callers apart: ``"full"``
    draws from ``[0, d]``, ``"equal"`` from ``[d/2, d]``, ``"none"`` waits exactly ``d``.
    """

    max_attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: JitterMode = "full"
    non_retryable_codes: frozenset[str] = frozenset()
    non_retryable_types: tuple[type[BaseException], ...] = _CALLER_ERRORS

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.max_attempts < 1:
            problems.append("max_attempts must be at least 1")
        if not 0 <= self.initial_delay <= self.max_delay or not math.isfinite(self.max_delay):
            problems.append("delays must satisfy 0 <= initial_delay <= max_delay < infinity")
        if not 1 <= self.multiplier < math.inf:
            problems.append("multiplier must be a finite number >= 1")
        if self.jitter not in ("full", "equal", "none"):
            problems.append("jitter must be 'full', 'equal' or 'none'")
        if problems:
            raise InvalidDefinition(
                f"Invalid retry strategy: {'; '.join(problems)}.", problems=problems
            )

    def backoff(self, attempt: int) -> float:
        """The un-jittered delay after attempt ``attempt`` (>= 1) failed."""
        if attempt < 1:
            raise InvalidRequest(f"attempt numbers start at 1, got {attempt}.")
        if self.initial_delay == 0:
            return 0.0
        # Compare exponents in log space: multiplier ** attempt overflows floats long before
        # attempt numbers get large, and the cap is reached much earlier anyway.
        exponent = (attempt - 1) * math.log(self.multiplier)
        if exponent >= math.log(self.max_delay / self.initial_delay):
            return self.max_delay
        return min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))

    def delay(
        self, attempt: int, rng: RandomSource, *, error: BaseException | None = None
    ) -> float:
        """Seconds to wait after attempt ``attempt`` failed, jittered with ``rng``.

        If ``error`` says when to come back (``retry_after``), the wait is at least that long,
        even above ``max_delay``: retrying earlier would only fail fast again.
        """
        base = self.backoff(attempt)
        if self.jitter == "full":
            wait = base * rng.random()
        elif self.jitter == "equal":
            wait = base / 2 + base / 2 * rng.random()
        else:
            wait = base
        hint = retry_after_hint(error) if error is not None else None
        return wait if hint is None else max(wait, hint)

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether to make another attempt after attempt ``attempt`` failed with ``error``."""
        if attempt >= self.max_attempts or not is_retryable(error):
            return False
        if isinstance(error, self.non_retryable_types):
            return False
        codes = {getattr(error, "error_code", None), getattr(error, "code", None)}
        return not (codes & self.non_retryable_codes)
