"""Triggers declared in workflow files: checked with the file (each problem with its line), and
a folder of such files deployed against a real store and runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.drivers.duckdb import DuckDbTriggerState
from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import (
    ActionRegistry,
    ChangeTriggerSpec,
    CronTrigger,
    CronTriggerSpec,
    Deployments,
    ResourceChangeTrigger,
    Runtime,
    open_runtime,
    parse_workflow,
)
from nebula_kernel.workflows._trigger_specs import to_trigger

EXAMPLES = Path(__file__).resolve().parents[3] / "notebooks" / "deployed"
STAR = "acme.ops.board"

HEAD = """\
id: w
nodes:
  - {id: a, action: log, parameters: {message: hi}}
triggers:
"""


def _problems(triggers: str) -> list[tuple[int | None, str]]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_workflow(HEAD + triggers, registry=ActionRegistry.with_builtins())
    return [(p["line"], p["message"]) for p in caught.value.details["problems"]]


def test_specs_become_the_runtime_triggers() -> None:
    definition = parse_workflow(
        HEAD
        + "  - {kind: cron, id: n, schedule: '@daily', timezone: Asia/Tokyo, catch_up: all}\n"
        + "  - {kind: resource_change, id: c, type: Task, ops: [delete], star: acme.x.y}\n",
        registry=ActionRegistry.with_builtins(),
    )
    cron, change = definition.triggers
    assert isinstance(cron, CronTriggerSpec) and isinstance(change, ChangeTriggerSpec)
    assert to_trigger(cron, STAR) == CronTrigger("n", "@daily", "Asia/Tokyo", "all")
    built = to_trigger(change, STAR)
    assert isinstance(built, ResourceChangeTrigger)
    assert (built.star, built.type, built.ops) == ("acme.x.y", "Task", frozenset({"delete"}))


def test_every_bad_trigger_is_reported_with_its_line() -> None:
    problems = _problems(
        "  - {kind: cron, id: a, schedule: '61 * * * *'}\n"  # line 5
        "  - {kind: cron, id: b, schedule: '@daily', timezone: Nowhere/Land}\n"
        "  - {kind: resource_change, id: c, type: 'no spaces'}\n"
        "  - {kind: resource_change, id: d, type: Task, where: {x: {$near: 1}}}\n"
        "  - {kind: resource_change, id: e, type: Task, ops: [upsert]}\n"
        "  - {kind: webhook, id: f}\n"
    )
    lines = [line for line, _ in problems]
    assert lines == [5, 6, 7, 8, 9, 10]
    messages = [m for _, m in problems]
    assert "five-field cron" in messages[0] and "Nowhere/Land" in messages[1]
    assert "$near" in messages[3] and "webhook" in messages[5]


def test_trigger_ids_are_unique_within_a_file() -> None:
    problems = _problems(
        "  - {kind: cron, id: a, schedule: '@daily'}\n"
        "  - {kind: resource_change, id: a, type: Task}\n"  # line 6
    )
    assert problems == [(6, "duplicate trigger id 'a'")]


def _deployments(
    runtime: Runtime, store: nk.ResourceStore, folder: Path, report: Callable[[str], object]
) -> Deployments:
    state = DuckDbTriggerState(store.repo.connection_for_queries())
    return Deployments(runtime, store, state, folder=folder, default_star=STAR, report=report)


async def _deploy(folder: Path, db: Path) -> tuple[list[str], list[str], list[str]]:
    """Deploy ``folder``; put a Task to Done; returns problems, trigger ids, started runs."""
    problems: list[str] = []
    with nk.open_store(db) as store:
        store.create_star(STAR)
        store.define_type("Task", json_schema={"type": "object"}, star=STAR)
        runtime = open_runtime(store=store)
        deployments = _deployments(runtime, store, folder, problems.append)
        try:
            deployments.start()
            store.put("Task", "t-1", {"state": "Done"}, star=STAR)
            runs = await _settled_runs(runtime, 1)
            ids = [t.spec.id for t in deployments.triggers(STAR)]
            return problems, ids, runs
        finally:
            await deployments.aclose()
            await runtime.aclose()


async def _settled_runs(runtime: Runtime, count: int) -> list[str]:
    """The star's runs once ``count`` of them have ended, or all there are after a while."""
    for _ in range(150):
        runs = runtime.executions(star=STAR)
        if len(runs) >= count and all(r.status != "running" for r in runs):
            break
        await asyncio.sleep(0.02)
    return sorted(r.id for r in runtime.executions(star=STAR))


def test_the_example_folder_deploys_and_runs(tmp_path: Path) -> None:
    problems, ids, runs = asyncio.run(_deploy(EXAMPLES, tmp_path / "n.duckdb"))
    assert problems == [] and ids == ["task-done"]
    assert len(runs) == 1 and runs[0].startswith(f"change:task-done:{STAR}:")


def test_a_trigger_id_used_by_two_files_deploys_only_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "deployed"
    folder.mkdir()
    for name in ("a", "b"):
        text = (EXAMPLES / "task_done.workflow.yaml").read_text()
        (folder / f"{name}.workflow.yaml").write_text(text.replace("task-done-log", f"log-{name}"))
    problems, ids, runs = asyncio.run(_deploy(folder, tmp_path / "n.duckdb"))
    assert ids == ["task-done"] and len(runs) == 1
    (problem,) = problems
    assert problem.startswith("b.workflow.yaml: ") and "'task-done' is deployed already" in problem


def test_a_file_deploys_all_its_triggers_or_none(tmp_path: Path) -> None:
    folder = tmp_path / "deployed"
    folder.mkdir()
    (folder / "two.workflow.yaml").write_text(
        HEAD
        + "  - {kind: resource_change, id: here, type: Task}\n"  # would start a run
        + "  - {kind: resource_change, id: elsewhere, type: Task, star: acme.no.such}\n"
    )
    problems, ids, runs = asyncio.run(_deploy(folder, tmp_path / "n.duckdb"))
    (problem,) = problems
    assert problem.startswith("two.workflow.yaml: ") and "acme.no.such" in problem
    assert ids == [] and runs == []


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    problems, ids, _ = asyncio.run(_deploy(tmp_path / "nowhere", tmp_path / "n.duckdb"))
    assert problems == [f"{tmp_path / 'nowhere'}: there is no such folder"] and ids == []


async def _edit_while_deployed(folder: Path, db: Path) -> list[list[str]]:
    """Trigger ids after each edit of the folder, while it is deployed."""
    seen: list[list[str]] = []
    with nk.open_store(db) as store:
        store.create_star(STAR)
        runtime = open_runtime(store=store)
        deployments = _deployments(runtime, store, folder, lambda problem: None)
        file = folder / "a.workflow.yaml"
        edits = [  # the file's text after each edit; None: the file is deleted
            HEAD + "  - {kind: cron, id: first, schedule: '@daily'}\n",
            HEAD
            + "  - {kind: cron, id: renamed, schedule: '@daily'}\n"
            + "  - {kind: cron, id: more, schedule: '@hourly'}\n",
            None,
        ]
        try:
            deployments.start(interval_s=0.02)
            for edit in edits:
                before = [t.spec.id for t in deployments.triggers(STAR)]
                if edit is None:
                    file.unlink()
                else:
                    file.write_text(edit)
                for _ in range(100):
                    await asyncio.sleep(0.02)
                    now = [t.spec.id for t in deployments.triggers(STAR)]
                    if now != before:
                        break
                seen.append(now)
        finally:
            await deployments.aclose()
            await runtime.aclose()
    return seen


def test_edits_to_the_folder_take_effect_without_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "deployed"
    folder.mkdir()
    seen = asyncio.run(_edit_while_deployed(folder, tmp_path / "n.duckdb"))
    assert seen == [["first"], ["renamed", "more"], []]
