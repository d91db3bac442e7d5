"""Circuit breaker: opening, failing fast, half-open trials, closing, and the rolling window."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from nebula_kernel.errors import ActionFailed, CircuitOpen, InvalidDefinition
from nebula_kernel.workflows._breaker import BreakerPolicy, CircuitBreaker, CircuitState


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(breaker: CircuitBreaker, key: str, times: int = 1) -> None:
    for _ in range(times):
        breaker.after(breaker.before(key), False)


def test_opens_after_threshold_and_fails_fast_saying_when() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=3, cooldown=30), clock=clock)
    fail(breaker, "api", 2)
    assert breaker.state("api") is CircuitState.CLOSED
    fail(breaker, "api")
    assert breaker.state("api") is CircuitState.OPEN
    clock.now += 10
    with pytest.raises(CircuitOpen) as raised:
        breaker.before("api")
    assert raised.value.retry_after == pytest.approx(20)
    assert raised.value.retryable
    assert "'api'" in raised.value.message and "20.0 s" in raised.value.message
    # Other keys are unaffected.
    assert breaker.state("other") is CircuitState.CLOSED
    breaker.before("other")


def test_half_open_limits_trials_and_closes_on_success() -> None:
    clock = FakeTime()
    policy = BreakerPolicy(failure_threshold=1, cooldown=5, half_open_calls=1)
    breaker = CircuitBreaker(policy, clock=clock)
    fail(breaker, "k")
    clock.now += 5
    assert breaker.state("k") is CircuitState.HALF_OPEN
    trial = breaker.before("k")
    assert trial.trial
    with pytest.raises(CircuitOpen, match="trial calls in progress"):
        breaker.before("k")
    breaker.after(trial, True)
    assert breaker.state("k") is CircuitState.CLOSED
    assert not breaker.before("k").trial


def test_failed_trial_reopens_for_a_full_cooldown() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=1, cooldown=5), clock=clock)
    fail(breaker, "k")
    clock.now += 6
    breaker.after(breaker.before("k"), False)
    assert breaker.state("k") is CircuitState.OPEN
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        breaker.before("k")
    clock.now += 0.1
    assert breaker.state("k") is CircuitState.HALF_OPEN


def test_success_threshold_needs_several_trial_successes() -> None:
    clock = FakeTime()
    policy = BreakerPolicy(failure_threshold=1, cooldown=1, half_open_calls=2, success_threshold=2)
    breaker = CircuitBreaker(policy, clock=clock)
    fail(breaker, "k")
    clock.now += 1
    a, b = breaker.before("k"), breaker.before("k")
    breaker.after(a, True)
    assert breaker.state("k") is CircuitState.HALF_OPEN
    breaker.after(b, True)
    assert breaker.state("k") is CircuitState.CLOSED


def test_failures_outside_the_rolling_window_are_forgotten() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=3, window=60), clock=clock)
    fail(breaker, "k", 2)
    clock.now += 61
    fail(breaker, "k", 2)
    assert breaker.state("k") is CircuitState.CLOSED
    fail(breaker, "k")
    assert breaker.state("k") is CircuitState.OPEN


def test_failure_ratio_opens_once_enough_calls_were_seen() -> None:
    clock = FakeTime()
    policy = BreakerPolicy(failure_threshold=1000, failure_ratio=0.5, minimum_calls=4)
    breaker = CircuitBreaker(policy, clock=clock)
    breaker.after(breaker.before("k"), True)
    fail(breaker, "k", 2)  # 2 of 3 failed, but fewer than minimum_calls
    assert breaker.state("k") is CircuitState.CLOSED
    breaker.after(breaker.before("k"), True)
    fail(breaker, "k")  # 3 of 5
    assert breaker.state("k") is CircuitState.OPEN


def test_stale_outcomes_from_before_a_state_change_are_ignored() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=1, cooldown=5), clock=clock)
    slow = breaker.before("k")
    fail(breaker, "k")
    clock.now += 5
    trial = breaker.before("k")
    breaker.after(slow, True)  # started while closed: must not close the half-open circuit
    assert breaker.state("k") is CircuitState.HALF_OPEN
    breaker.after(trial, True)
    assert breaker.state("k") is CircuitState.CLOSED


def test_guard_records_outcomes_and_spares_caller_errors() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=2), clock=clock)

    async def main() -> None:
        for _ in range(3):  # rejected requests say nothing about the service's health
            with pytest.raises(ActionFailed):
                async with breaker.guard("k"):
                    raise ActionFailed("bad request", retryable=False)
        assert breaker.state("k") is CircuitState.CLOSED
        for _ in range(2):
            with pytest.raises(TimeoutError):
                async with breaker.guard("k"):
                    raise TimeoutError
        assert breaker.state("k") is CircuitState.OPEN
        with pytest.raises(CircuitOpen):
            async with breaker.guard("k"):
                pytest.fail("an open circuit must not run the body")

    anyio.run(main)


def test_cancelled_trial_frees_its_slot_without_an_outcome() -> None:
    clock = FakeTime()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=1, cooldown=1), clock=clock)
    fail(breaker, "k")
    clock.now += 1

    async def main() -> None:
        with anyio.CancelScope() as scope:
            async with breaker.guard("k"):
                scope.cancel()
                await anyio.lowlevel.checkpoint()
        assert breaker.state("k") is CircuitState.HALF_OPEN
        async with breaker.guard("k") as permit:
            assert permit.trial
        assert breaker.state("k") is CircuitState.CLOSED

    anyio.run(main)


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(InvalidDefinition, match="success_threshold"):
        BreakerPolicy(half_open_calls=1, success_threshold=2)
    with pytest.raises(InvalidDefinition, match="failure_ratio"):
        BreakerPolicy(failure_ratio=1.5)
