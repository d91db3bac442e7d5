"""The runtime's own inputs: chosen execution ids are idempotency keys, ``$env`` is the host's."""

from __future__ import annotations

import asyncio

import nebula_kernel as nk
from nebula_kernel.workflows import Workflow, expr, open_runtime


def _workflow() -> Workflow:
    wf = Workflow("report")
    wf.node("say", "log", message=expr("$input"))
    return wf


def test_a_duplicate_execution_id_is_refused_and_the_runtime_carries_on() -> None:
    async def scenario() -> list[str]:
        async with open_runtime() as runtime:
            first = await runtime.start(_workflow(), "once", execution_id="fixed")
            assert (await first.result()).ok
            try:
                await runtime.start(_workflow(), "twice", execution_id="fixed")
            except nk.AlreadyExists as refused:
                assert "fixed" in refused.message
            else:
                raise AssertionError("a duplicate execution id was accepted")
            again = await runtime.run(_workflow(), "later")  # the journal writer still works
            assert again.ok
            return sorted(r.id for r in runtime.executions())

    ids = asyncio.run(scenario())
    assert "fixed" in ids and len(ids) == 2


def test_env_reaches_expressions_and_conditions() -> None:
    wf = Workflow("envy")
    say = wf.node("say", "log", message=expr("'region ' + $env.region"))
    eu = wf.node("eu_only", "log", message="in the EU")
    wf.connect(say, eu, when="$env.region == 'eu-west'")

    async def scenario(region: str) -> tuple[object, tuple[str, ...]]:
        async with open_runtime(env={"region": region}) as runtime:
            result = await runtime.run(wf, None)
            return result.results["say"], result.skipped

    assert asyncio.run(scenario("eu-west")) == ({"message": "region eu-west"}, ())
    assert asyncio.run(scenario("us-east")) == ({"message": "region us-east"}, ("eu_only",))
