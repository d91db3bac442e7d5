"""Retry decisions for node attempts, on top of the shared :class:`RetryStrategy`.

A node's :class:`RetryPolicy` (the definition's form) becomes a strategy; errors that describe
the request itself (invalid inputs, a missing grant, an expression that fails) never retry,
nor do errors whose code the policy lists as non-retryable.
"""

from __future__ import annotations

import random
from functools import lru_cache

from nebula_kernel.errors import ActionFailed, NebulaError
from nebula_kernel.workflows._definition import RetryPolicy
from nebula_kernel.workflows._resilience import RetryStrategy

__all__ = ["error_code", "retry_delay"]


def error_code(error: BaseException) -> str:
    if isinstance(error, ActionFailed):
        return error.error_code
    if isinstance(error, NebulaError):
        return error.code
    if isinstance(error, TimeoutError):
        return "timeout"
    return "error"


@lru_cache(maxsize=256)
def _strategy(policy: RetryPolicy) -> RetryStrategy:
    return RetryStrategy(
        max_attempts=policy.max_attempts,
        initial_delay=policy.initial_backoff_s,
        max_delay=policy.max_backoff_s,
        multiplier=policy.multiplier,
        jitter=policy.jitter,
        non_retryable_codes=frozenset(policy.non_retryable),
    )


def retry_delay(
    policy: RetryPolicy, error: BaseException, failures: int, rng: random.Random
) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` when the node has failed for good.

    ``failures`` counts this node's failed attempts so far, this one included.
    """
    strategy = _strategy(policy)
    if error_code(error) in policy.non_retryable or not strategy.should_retry(error, failures):
        return None
    return strategy.delay(failures, rng, error=error)
