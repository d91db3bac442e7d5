"""The runtime applies a circuit breaker and rate limits per action around every attempt."""

from __future__ import annotations

import asyncio
from typing import Any

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows import (
    BreakerPolicy,
    CircuitBreaker,
    RateLimit,
    RateLimiter,
    Resilience,
    RetryPolicy,
    Workflow,
    open_runtime,
)

RETRY = RetryPolicy(max_attempts=4, initial_backoff_s=0.001, max_backoff_s=0.001, jitter="none")


def test_an_open_circuit_stops_calls_to_a_failing_action() -> None:
    calls: list[int] = []

    def flaky() -> dict[str, Any]:
        calls.append(1)
        raise ActionFailed("the service is down", error_code="down", retryable=True)

    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=2, minimum_calls=1, cooldown=0.05))

    async def scenario() -> list[str]:
        async with open_runtime(resilience=Resilience(breaker=breaker)) as runtime:
            runtime.registry.function(flaky)
            wf = Workflow("calls-a-flaky-service")
            wf.node("call", "python.call", function="flaky", retry=RETRY)
            result = await runtime.run(wf, None)
            assert not result.ok
            return [
                str(e.body.get("error", {}).get("code"))
                for e in runtime.journal(result.execution_id)
                if e.kind == "attempt_failed"
            ]

    codes = asyncio.run(scenario())
    # Two real failures open the circuit; the next attempt is refused without a call; after
    # the cool-down one trial call is let through, fails, and the retries are spent.
    assert codes == ["down", "down", "circuit_open", "down"]
    assert len(calls) == 3


def test_a_rate_limit_spaces_the_calls_of_an_action() -> None:
    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(RateLimit(rate=10, burst=2), clock=lambda: now[0], sleep=fake_sleep)

    async def scenario() -> bool:
        async with open_runtime(resilience=Resilience(limits={"log@1": limiter})) as runtime:
            wf = Workflow("chatty")
            previous = None
            for n in range(4):
                node = wf.node(f"say{n}", "log", message=f"message {n}")
                if previous is not None:
                    previous >> node
                previous = node
            return (await runtime.run(wf, None)).ok

    assert asyncio.run(scenario())
    # A burst of two goes at once; each later call waits for its token (10 per second).
    assert waits == [0.1, 0.1]
