"""Retry strategy: backoff, jitter, and which errors are retried."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nebula_kernel.errors import (
    ActionFailed,
    CircuitOpen,
    InvalidDefinition,
    InvalidRequest,
    ResourceNotFound,
)
from nebula_kernel.workflows._resilience import RetryStrategy, is_retryable


def test_no_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryStrategy(max_attempts=10, initial_delay=1, max_delay=10, jitter="none")
    rng = random.Random(0)
    assert [policy.delay(n, rng) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_seeded_jitter_is_deterministic_and_in_range() -> None:
    full = RetryStrategy(initial_delay=4, max_delay=4, jitter="full")
    equal = RetryStrategy(initial_delay=4, max_delay=4, jitter="equal")
    first = [full.delay(1, random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1  # the same seed gives the same delay
    expected = random.Random(42).random()
    assert first[0] == pytest.approx(4 * expected)
    assert equal.delay(1, random.Random(42)) == pytest.approx(2 + 2 * expected)


def test_huge_attempt_numbers_do_not_overflow() -> None:
    policy = RetryStrategy(initial_delay=0.5, max_delay=30, multiplier=10, jitter="none")
    assert policy.delay(100_000, random.Random(1)) == 30


def test_error_hint_wins_over_a_shorter_backoff() -> None:
    policy = RetryStrategy(initial_delay=1, max_delay=5, jitter="none")
    error = CircuitOpen("open", key="k", retry_after=12.5)
    assert policy.delay(1, random.Random(0), error=error) == 12.5
    assert policy.delay(1, random.Random(0), error=ValueError()) == 1


def test_attempts_are_bounded() -> None:
    policy = RetryStrategy(max_attempts=3)
    assert policy.should_retry(TimeoutError(), 1)
    assert policy.should_retry(TimeoutError(), 2)
    assert not policy.should_retry(TimeoutError(), 3)


def test_errors_carry_their_own_retry_semantics() -> None:
    policy = RetryStrategy(max_attempts=5)

    class Permanent(Exception):
        non_retryable = True

    assert not policy.should_retry(Permanent(), 1)
    assert not policy.should_retry(ActionFailed("bad input", retryable=False), 1)
    assert policy.should_retry(ActionFailed("flaky"), 1)
    assert policy.should_retry(CircuitOpen("open", key="k", retry_after=1), 1)
    # The caller's own mistakes fail the same way every time.
    assert not policy.should_retry(InvalidRequest("no"), 1)
    assert not policy.should_retry(ResourceNotFound("gone"), 1)


def test_cancellation_is_never_retried() -> None:
    assert not is_retryable(KeyboardInterrupt())
    assert not RetryStrategy(max_attempts=9).should_retry(KeyboardInterrupt(), 1)


def test_policy_lists_non_retryable_codes_and_types() -> None:
    policy = RetryStrategy(
        max_attempts=5,
        non_retryable_codes=frozenset({"quota_exceeded", "circuit_open"}),
        non_retryable_types=(KeyError,),
    )
    assert not policy.should_retry(ActionFailed("q", error_code="quota_exceeded"), 1)
    assert policy.should_retry(ActionFailed("t", error_code="timeout"), 1)
    assert not policy.should_retry(CircuitOpen("open", key="k", retry_after=1), 1)
    assert not policy.should_retry(KeyError("x"), 1)
    assert policy.should_retry(InvalidRequest("now retried: the type list was replaced"), 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"initial_delay": 5, "max_delay": 1},
        {"initial_delay": -1},
        {"multiplier": 0.5},
        {"max_delay": float("inf")},
        {"jitter": "sometimes"},
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidDefinition, match="Invalid retry strategy"):
        RetryStrategy(**kwargs)  # type: ignore[arg-type]


@given(
    initial=st.floats(0, 100),
    extra=st.floats(0, 1000),
    multiplier=st.floats(1, 50),
    jitter=st.sampled_from(["full", "equal", "none"]),
    seed=st.integers(0, 2**32),
    attempts=st.integers(1, 200),
)
def test_delays_stay_within_zero_and_the_cap(
    initial: float, extra: float, multiplier: float, jitter: str, seed: int, attempts: int
) -> None:
    policy = RetryStrategy(
        max_attempts=attempts,
        initial_delay=initial,
        max_delay=initial + extra,
        multiplier=multiplier,
        jitter=jitter,  # type: ignore[arg-type]
    )
    rng = random.Random(seed)
    for n in range(1, attempts + 1):
        assert 0 <= policy.delay(n, rng) <= policy.max_delay


@given(
    initial=st.floats(0.001, 100),
    extra=st.floats(0, 1000),
    multiplier=st.floats(1, 50),
    attempts=st.integers(1, 200),
)
def test_unjittered_delays_grow_monotonically_until_the_cap(
    initial: float, extra: float, multiplier: float, attempts: int
) -> None:
    policy = RetryStrategy(
        initial_delay=initial, max_delay=initial + extra, multiplier=multiplier, jitter="none"
    )
    rng = random.Random(0)
    delays = [policy.delay(n, rng) for n in range(1, attempts + 1)]
    assert delays[0] == pytest.approx(initial)
    assert all(a <= b for a, b in itertools.pairwise(delays))
    capped = [d == policy.max_delay for d in delays]
    # Once the cap is reached it stays reached.
    assert capped == sorted(capped)
