"""Triggers driving a real runtime: cron fires exactly once across restarts, and a resource
change starts a workflow with the change as its input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import nebula_kernel as nk
from nebula_kernel.drivers.duckdb import DuckDbTriggerState
from nebula_kernel.workflows import (
    CronTrigger,
    ResourceChangeTrigger,
    TriggerService,
    Workflow,
    expr,
    open_runtime,
)
from tests._helpers import ManualClock


def _workflow() -> Workflow:
    wf = Workflow("report")
    wf.node("say", "log", message=expr("$input"))
    return wf


async def _cron_session(path: Path, clock: ManualClock, minutes: float) -> list[str]:
    """Open everything on ``path``, move the clock, tick; return the started execution ids."""
    with nk.open_store(path, clock=clock) as store:
        runtime = open_runtime(store=store, clock=clock)
        try:
            state = DuckDbTriggerState(store.repo.connection_for_queries())
            service = TriggerService(runtime, state, clock=clock)
            service.add_cron(CronTrigger("every5", "*/5 * * * *"), _workflow())
            clock.advance(minutes=minutes)
            started = await service.tick()
            for execution in started:
                assert (await execution.result()).ok
            return [e.id for e in started]
        finally:
            await runtime.aclose()


def test_cron_fires_once_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "cron.duckdb"
    clock = ManualClock(datetime(2025, 1, 6, 9, 0, 30, tzinfo=UTC))
    assert asyncio.run(_cron_session(path, clock, 0)) == []  # first sight: starts from now
    # 09:00:30 → 09:10:45: slots 09:05 and 09:10 are due. 09:05 is older than the one-minute
    # grace (cut at 09:09:45), so it was missed, and catch-up "latest" fires it as the latest
    # missed slot; 09:10 is on time.
    fired = asyncio.run(_cron_session(path, clock, 10.25))
    assert fired == ["cron:every5:2025-01-06T09:05:00Z", "cron:every5:2025-01-06T09:10:00Z"]
    # A restart at the same moment plans nothing new: the watermark was stored.
    assert asyncio.run(_cron_session(path, clock, 0)) == []


def test_a_fire_started_before_a_crash_is_not_started_again(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2025, 1, 6, 9, 0, 30, tzinfo=UTC))

    async def scenario() -> list[str]:
        with nk.open_store(tmp_path / "crash.duckdb", clock=clock) as store:
            runtime = open_runtime(store=store, clock=clock)
            try:
                state = DuckDbTriggerState(store.repo.connection_for_queries())
                service = TriggerService(runtime, state, clock=clock)
                service.add_cron(CronTrigger("every5", "*/5 * * * *"), _workflow())
                await service.tick()
                clock.advance(minutes=5)
                # The fire was started, then the process died before storing the watermark.
                early = await service.start_once(
                    "cron:every5:2025-01-06T09:05:00Z", _workflow(), {"trigger": "crashed"}
                )
                assert early is not None and (await early.result()).ok
                started = await service.tick()
                return [e.id for e in started]
            finally:
                await runtime.aclose()

    assert asyncio.run(scenario()) == []


def test_a_resource_change_starts_a_workflow(tmp_path: Path) -> None:
    async def scenario() -> dict[str, object]:
        with nk.open_store(tmp_path / "change.duckdb") as store:
            shop = "acme.shop.orders"  # not the default star: runs belong to the trigger's
            store.create_star(shop)
            store.define_type("Order", json_schema={"type": "object"}, star=shop)
            runtime = open_runtime(store=store)
            try:
                service = TriggerService(
                    runtime, DuckDbTriggerState(store.repo.connection_for_queries())
                )
                trigger = ResourceChangeTrigger("orders", shop, "Order", ops=frozenset({"put"}))
                service.add_change(trigger, _workflow(), store)
                await asyncio.to_thread(store.put, "Order", "o-1", {"total": 12}, star=shop)
                for _ in range(200):
                    rows = runtime.executions()
                    if rows and rows[0].status == "completed":
                        break
                    await asyncio.sleep(0.02)
                service.close()
                (row,) = runtime.executions()
                state = runtime.state(row.id)
                return {
                    "id": row.id,
                    "status": row.status,
                    "star": row.star,
                    "input": state.input,
                }
            finally:
                await runtime.aclose()

    result = asyncio.run(scenario())
    assert (result["status"], result["star"]) == ("completed", "acme.shop.orders")
    assert str(result["id"]).startswith("change:orders:")
    change = result["input"]["change"]  # type: ignore[index]
    assert (change["op"], change["id"], change["value"]) == ("put", "o-1", {"total": 12})
