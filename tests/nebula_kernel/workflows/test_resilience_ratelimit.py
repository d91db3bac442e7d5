"""Token bucket rate limits with a fake clock and sleep: exact waits, fairness, refunds."""

from __future__ import annotations

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nebula_kernel.errors import InvalidDefinition, InvalidRequest, RateLimited
from nebula_kernel.workflows._ratelimit import RateLimit, RateLimiter


class FakeTime:
    """A clock whose sleep advances it instantly and records what was asked."""

    def __init__(self) -> None:
        self.now = 50.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


def limiter(rate: float, burst: float, clock: FakeTime) -> RateLimiter:
    return RateLimiter(RateLimit(rate, burst), clock=clock, sleep=clock.sleep)


def test_burst_then_refill() -> None:
    clock = FakeTime()
    rl = limiter(2, 3, clock)
    assert [rl.try_acquire("k") for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token at 2/s
    assert rl.try_acquire("k")
    assert not rl.try_acquire("k")
    assert rl.try_acquire("other")  # keys have their own buckets


def test_acquire_waits_exactly_the_deficit_in_arrival_order() -> None:
    clock = FakeTime()
    rl = limiter(4, 1, clock)

    async def main() -> None:
        for _ in range(3):
            await rl.acquire("k")

    anyio.run(main)
    assert clock.sleeps == [pytest.approx(0.25), pytest.approx(0.25)]


def test_concurrent_waiters_queue_up_behind_each_other() -> None:
    clock = FakeTime()
    asked: list[float] = []

    async def record(seconds: float) -> None:  # time stands still while all three queue up
        asked.append(seconds)
        await anyio.lowlevel.checkpoint()

    rl = RateLimiter(RateLimit(10, 1), clock=clock, sleep=record)
    assert rl.try_acquire("k")

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(rl.acquire, "k")

    anyio.run(main)
    # Each reserved its token at once: the waits are 1, 2 and 3 token intervals.
    assert sorted(asked) == [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.3)]


def test_max_wait_refuses_without_reserving() -> None:
    clock = FakeTime()
    rl = limiter(1, 1, clock)
    assert rl.try_acquire("k")

    async def main() -> None:
        with pytest.raises(RateLimited) as raised:
            await rl.acquire("k", max_wait=0.5)
        assert raised.value.retry_after == pytest.approx(1.0)
        assert "1.00 s" in raised.value.message
        clock.now += 1
        assert rl.try_acquire("k")  # the refused call took nothing

    anyio.run(main)


def test_cancelled_wait_gives_the_tokens_back() -> None:
    clock = FakeTime()
    rl = RateLimiter(RateLimit(1, 2), clock=clock)  # the real sleep: cancelled before it ends
    assert rl.try_acquire("k", 2)

    async def main() -> None:
        with anyio.move_on_after(0):
            await rl.acquire("k")
        clock.now += 1  # one token back: the cancelled reservation is not owed
        assert rl.try_acquire("k")
        assert not rl.try_acquire("k")

    anyio.run(main)


def test_a_refund_after_a_long_wait_does_not_exceed_the_burst() -> None:
    clock = FakeTime()

    async def slow_then_cancelled(seconds: float) -> None:
        clock.now += 100  # the bucket refilled completely meanwhile
        await anyio.sleep_forever()

    rl = RateLimiter(RateLimit(1, 2), clock=clock, sleep=slow_then_cancelled)
    assert rl.try_acquire("k", 2)

    async def main() -> None:
        with anyio.move_on_after(0):
            await rl.acquire("k")
        assert [rl.try_acquire("k") for _ in range(3)] == [True, True, False]

    anyio.run(main)


def test_bad_limits_and_amounts_are_refused() -> None:
    with pytest.raises(InvalidDefinition):
        RateLimit(0, 1)
    with pytest.raises(InvalidDefinition):
        RateLimit(1, 0.5)
    with pytest.raises(InvalidRequest, match="no larger than the burst"):
        RateLimiter(RateLimit(1, 2)).try_acquire("k", 3)


@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 20),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=60),
)
def test_never_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, gaps: list[float]
) -> None:
    clock = FakeTime()
    rl = limiter(rate, burst, clock)
    start, granted = clock.now, 0
    for gap in gaps:
        clock.now += gap
        granted += rl.try_acquire("k")
        assert granted <= burst + rate * (clock.now - start) + 1e-9
