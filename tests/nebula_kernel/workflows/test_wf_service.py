"""The workflow service: star-scoped, authorized access to the runtime for every host."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nebula_kernel as nk
from nebula_kernel.auth import Principal
from nebula_kernel.errors import (
    Conflict,
    ExecutionNotFound,
    Forbidden,
    InvalidDefinition,
    InvalidIdentifier,
    InvalidRequest,
)
from nebula_kernel.workflows import (
    ExecutionEvent,
    NodeStatus,
    WorkflowService,
    open_runtime,
    parse_workflow,
)

SALES = "acme.sales.dash"
OTHER = "acme.sales.other"
HR = "acme.hr.people"
OWNER = Principal("root", {"*": "owner"})
ANN = Principal("ann", {"acme.sales.*": "editor", "acme.hr.*": "viewer"})

GREET = """\
id: greet
nodes:
  - {id: hello, action: log, parameters: {message: "Hello {{ $input.name }}"}}
  - {id: shout, action: log, parameters: {message: {$expr: "upper($nodes.hello.result.message)"}}}
  - {id: never, action: log, parameters: {message: x}}
connections:
  - {from: hello, to: shout}
  - {from: hello, to: never, condition: "false"}
"""
SLOW = "id: slow\nnodes:\n  - {id: nap, action: wait, parameters: {seconds: 3600}}\n"


@pytest.fixture
def service(
    tmp_path: Path, jp_asyncio_loop: asyncio.AbstractEventLoop
) -> Iterator[WorkflowService]:
    """On the loop the async tests run on (pytest-jupyter's)."""
    store = nk.open_store(tmp_path / "nebula.duckdb", principal=OWNER, default_star=SALES)
    for star in (OTHER, HR):  # the default star exists already
        store.create_star(star)
    runtime = open_runtime(store=store)
    try:
        yield WorkflowService(runtime, store)
    finally:
        jp_asyncio_loop.run_until_complete(runtime.aclose())
        store.close()


async def _done(service: WorkflowService, execution_id: str, star: str = SALES) -> Any:
    for _ in range(400):
        detail = service.execution(execution_id, star=star, principal=ANN)
        if detail.execution.status != "running":
            return detail
        await asyncio.sleep(0.01)
    raise AssertionError("the run did not end")


async def test_an_editor_runs_a_workflow_and_reads_every_detail(service: WorkflowService) -> None:
    started = await service.start(GREET, {"name": "Ada"}, star=SALES, principal=ANN)
    assert (started.star, started.workflow_id) == (SALES, "greet")
    detail = await _done(service, started.id)
    assert detail.execution.status == "completed"
    assert detail.input == {"name": "Ada"}
    assert detail.result == {"shout": {"message": "HELLO ADA"}}  # skipped nodes give none
    hello, never = detail.nodes["hello"], detail.nodes["never"]
    assert (hello.status, hello.attempts, hello.output) == (
        NodeStatus.COMPLETED,
        1,
        {"message": "Hello Ada"},
    )
    assert hello.started_at is not None and hello.finished_at is not None
    assert hello.duration_ms is not None and hello.duration_ms >= 0
    assert (never.status, never.started_at, never.duration_ms) == (NodeStatus.SKIPPED, None, None)
    assert never.finished_at is not None
    as_json = detail.to_json()
    assert as_json["plan"]["edges"][1] == {"from": "hello", "to": "never", "condition": "false"}
    journal = service.journal(started.id, star=SALES, principal=ANN)
    assert journal[0].kind == "execution_started" and journal[0].body["star"] == SALES
    assert journal[-1].kind == "execution_completed"
    after = service.journal(started.id, star=SALES, principal=ANN, after_seq=journal[2].seq)
    assert after == journal[3:]
    listed = service.executions(star=SALES, principal=ANN)
    assert [e.id for e in listed] == [started.id]
    assert service.executions(star=OTHER, principal=ANN) == []


async def test_a_definition_object_runs_too_and_keeps_its_chosen_id(
    service: WorkflowService,
) -> None:
    definition = parse_workflow(GREET)
    started = await service.start(
        definition, {"name": "x"}, star=SALES, principal=ANN, execution_id="chosen-1"
    )
    assert started.id == "chosen-1"
    with pytest.raises(InvalidIdentifier):
        await service.start(definition, star=SALES, principal=ANN, execution_id="../etc")


async def test_viewers_read_but_do_not_start_cancel_or_resume(service: WorkflowService) -> None:
    theirs = await service.start(SLOW, star=HR, principal=OWNER)
    assert [e.id for e in service.executions(star=HR, principal=ANN)] == [theirs.id]
    assert service.execution(theirs.id, star=HR, principal=ANN).execution.status == "running"
    with pytest.raises(Forbidden):
        await service.start(SLOW, star=HR, principal=ANN)
    with pytest.raises(Forbidden):
        await service.cancel(theirs.id, star=HR, principal=ANN)
    with pytest.raises(Forbidden):
        await service.resume(theirs.id, star=HR, principal=ANN)
    with pytest.raises(Forbidden):
        service.executions(star="other.team.star", principal=ANN)
    cancelled = await service.cancel(theirs.id, star=HR, principal=OWNER)
    assert cancelled.status == "cancelled"


async def test_another_stars_execution_is_not_found_anywhere(service: WorkflowService) -> None:
    mine = await service.start(SLOW, star=SALES, principal=ANN)
    with pytest.raises(ExecutionNotFound):
        service.execution(mine.id, star=OTHER, principal=ANN)
    with pytest.raises(ExecutionNotFound):
        service.journal(mine.id, star=OTHER, principal=ANN)
    with pytest.raises(ExecutionNotFound):
        await service.cancel(mine.id, star=OTHER, principal=ANN)
    with pytest.raises(ExecutionNotFound):
        await service.resume(mine.id, star=OTHER, principal=ANN)
    with pytest.raises(ExecutionNotFound):
        service.execution("no-such-run", star=SALES, principal=ANN)
    # Still running in its own star, untouched.
    assert service.execution(mine.id, star=SALES, principal=ANN).execution.status == "running"
    await service.cancel(mine.id, star=SALES, principal=ANN)


async def test_cancel_then_resume_is_a_conflict(service: WorkflowService) -> None:
    slow = await service.start(SLOW, star=SALES, principal=ANN)
    assert (await service.cancel(slow.id, star=SALES, principal=ANN)).status == "cancelled"
    with pytest.raises(Conflict, match="cancelled"):
        await service.resume(slow.id, star=SALES, principal=ANN)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"status": "sleeping"}, InvalidRequest),
        ({"limit": 0}, InvalidRequest),
        ({"limit": 1001}, InvalidRequest),
    ],
)
async def test_listing_refuses_nonsense(
    service: WorkflowService, query: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.executions(star=SALES, principal=ANN, **query)


async def test_a_bad_text_is_refused_with_every_problem(service: WorkflowService) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        await service.start("id: x\nnodes: [{id: a, action: nope}]\n", star=SALES, principal=ANN)
    [problem] = caught.value.details["problems"]
    assert (problem["node"], problem["line"]) == ("a", 2)
    assert service.executions(star=SALES, principal=ANN) == []


def test_validation_and_expression_checks_need_no_star(service: WorkflowService) -> None:
    checked = service.validate(GREET)
    assert checked.ok and checked.definition is not None and checked.definition.id == "greet"
    bad = service.validate('{"id": "x", "nodes": [}', "json")
    assert not bad.ok and bad.definition is None and bad.problems[0].line == 1
    assert service.check_expression("$input.a + 1").ok
    failed = service.check_expression("{{ $nodes.b }}", "template", nodes=["a"])
    assert not failed.ok and failed.message is not None and "unknown node" in failed.message
    assert {a["id"] for a in service.actions()} >= {"log", "wait", "http.request"}


def test_kernel_actions_are_listed_only_to_who_may_read_a_star_they_serve(
    service: WorkflowService,
) -> None:
    async def score(inputs: dict[str, Any], ctx: Any) -> Any:
        return inputs

    withdraw = service.actors.provide("score", "1", HR, score, "Scores a lead.")
    bob = Principal("bob", {SALES: "owner"})  # no role on HR
    assert "score" in {a["id"] for a in service.actions(ANN)}  # a viewer of HR
    assert "score" in {a["id"] for a in service.actions(OWNER)}
    listed = {a["id"] for a in service.actions(bob)}
    assert "score" not in listed and {"log", "wait"} <= listed
    withdraw()  # no kernel serves it any more: nobody's palette offers it
    assert "score" not in {a["id"] for a in service.actions(ANN)}


async def test_events_carry_star_workflow_and_status_and_resume_by_star(
    service: WorkflowService,
) -> None:
    events: list[ExecutionEvent] = []
    stop = service.subscribe(events.append)
    try:
        here = await service.start(GREET, {"name": "a"}, star=SALES, principal=ANN)
        there = await service.start(GREET, {"name": "b"}, star=OTHER, principal=ANN)
        await _done(service, here.id)
        await _done(service, there.id, star=OTHER)
    finally:
        stop()
    mine = [e for e in events if e.entry.execution_id == here.id]
    assert {(e.star, e.workflow_id) for e in mine} == {(SALES, "greet")}
    assert [e.status for e in mine][-2:] == ["running", "completed"]
    assert {e.star for e in events if e.entry.execution_id == there.id} == {OTHER}
    # What a subscriber resuming from 0 missed: its star's entries only, in order, bounded.
    missed = service.missed(SALES, 0, 100)
    assert [e.entry for e in missed] == [e.entry for e in mine]
    assert service.missed(SALES, 0, 2) == missed[:2]
    assert service.missed(SALES, 0, 100, there.id) == []
    assert service.last_seq() == max(e.entry.seq for e in events)


async def test_events_of_a_run_resumed_here_learn_its_star_from_its_row(tmp_path: Path) -> None:
    """A run started by a previous runtime: this one never saw its first entry."""
    path = tmp_path / "nebula.duckdb"
    with nk.open_store(path, principal=OWNER, default_star=SALES) as store:
        store.create_star(OTHER)
        first = open_runtime(store=store)
        started = await WorkflowService(first, store).start(SLOW, star=OTHER, principal=ANN)
        await first.aclose()  # hands the run over
        second = open_runtime(store=store)
        service = WorkflowService(second, store)
        events: list[ExecutionEvent] = []
        stop = service.subscribe(events.append)
        [resumed] = await second.reap()
        await service.cancel(started.id, star=OTHER, principal=ANN)
        stop()
        await second.aclose()
    assert resumed.id == started.id
    assert {(e.star, e.workflow_id) for e in events} == {(OTHER, "slow")}
    assert [e.entry.kind for e in events][-1] == "execution_cancelled"
