"""Bulkheads: concurrency caps, a bounded FIFO queue, typed rejection, statistics."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from nebula_kernel.errors import BulkheadFull, InvalidDefinition
from nebula_kernel.workflows._bulkhead import Bulkhead, BulkheadPolicy, BulkheadStats


async def settle() -> None:
    for _ in range(10):
        await anyio.lowlevel.checkpoint()


def test_caps_concurrency_queues_in_order_and_rejects_beyond_the_queue() -> None:
    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=2, max_waiting=2))
    release = anyio.Event()
    order: list[int] = []

    async def call(n: int) -> None:
        async with bulkhead.slot("k"):
            order.append(n)
            await release.wait()

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            for n in range(4):
                tg.start_soon(call, n)
                await settle()
            assert bulkhead.stats("k") == BulkheadStats(in_use=2, waiting=2, rejected=0)
            with pytest.raises(BulkheadFull) as raised:
                async with bulkhead.slot("k"):
                    pytest.fail("a full bulkhead must not run the body")
            assert "2 calls running" in raised.value.message and raised.value.retryable
            assert bulkhead.stats("k").rejected == 1
            async with bulkhead.slot("other"):  # other keys have their own compartment
                pass
            release.set()
        assert order == [0, 1, 2, 3]
        assert bulkhead.stats("k") == BulkheadStats(in_use=0, waiting=0, rejected=1)

    anyio.run(main)


def test_zero_queue_rejects_as_soon_as_slots_are_busy() -> None:
    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=1))

    async def main() -> None:
        async with bulkhead.slot("k"):
            with pytest.raises(BulkheadFull):
                async with bulkhead.slot("k"):
                    pass
        async with bulkhead.slot("k"):
            assert bulkhead.stats("k").in_use == 1

    anyio.run(main)


def test_a_cancelled_waiter_leaves_the_queue() -> None:
    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=1, max_waiting=None))

    async def main() -> None:
        async with bulkhead.slot("k"):
            with anyio.move_on_after(0):
                async with bulkhead.slot("k"):
                    pytest.fail("the slot was never free")
            assert bulkhead.stats("k") == BulkheadStats(in_use=1, waiting=0, rejected=0)
        assert bulkhead.stats("k").in_use == 0

    anyio.run(main)


def test_releasing_to_a_waiter_cancelled_at_the_same_time_leaks_no_slot() -> None:
    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=1, max_waiting=None))
    got: list[str] = []

    async def waiter(name: str, scope: anyio.CancelScope) -> None:
        with scope:
            async with bulkhead.slot("k"):
                got.append(name)
                await anyio.lowlevel.checkpoint()

    async def main() -> None:
        first, second = anyio.CancelScope(), anyio.CancelScope()
        with anyio.fail_after(5):  # a leaked slot would leave "second" waiting forever
            async with anyio.create_task_group() as tg:
                holder = bulkhead.slot("k")
                await holder.__aenter__()
                tg.start_soon(waiter, "first", first)
                await settle()
                tg.start_soon(waiter, "second", second)
                await settle()
                # Free the slot (handed to "first") and cancel "first" in the same step.
                await holder.__aexit__(None, None, None)
                first.cancel()
        assert "second" in got
        assert bulkhead.stats("k") == BulkheadStats(in_use=0, waiting=0, rejected=0)

    anyio.run(main)


def test_a_slot_handed_to_a_natively_cancelled_waiter_passes_on() -> None:
    # Plain asyncio (e.g. asyncio.timeout in a caller) can cancel a task after the slot was
    # handed to it but before it resumed; the slot must go to the next waiter.
    bulkhead = Bulkhead(BulkheadPolicy(max_concurrent=1, max_waiting=None))
    got: list[str] = []

    async def waiter(name: str) -> None:
        async with bulkhead.slot("k"):
            got.append(name)

    async def main() -> None:
        holder = bulkhead.slot("k")
        await holder.__aenter__()
        first = asyncio.create_task(waiter("first"))
        second = asyncio.create_task(waiter("second"))
        await asyncio.sleep(0)
        assert bulkhead.stats("k").waiting == 2
        await holder.__aexit__(None, None, None)  # hands the slot to "first"...
        first.cancel()  # ...which is cancelled before it runs again
        await asyncio.wait_for(second, 5)
        with pytest.raises(asyncio.CancelledError):
            await first

    asyncio.run(main())
    assert got == ["second"]
    assert bulkhead.stats("k") == BulkheadStats(in_use=0, waiting=0, rejected=0)


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(InvalidDefinition):
        BulkheadPolicy(max_concurrent=0)
    with pytest.raises(InvalidDefinition):
        BulkheadPolicy(max_concurrent=1, max_waiting=-1)
