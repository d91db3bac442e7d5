"""Crash recovery, proven by killing a real process at every journal write in turn.

For each N, a child process runs a five-node workflow and SIGKILLs itself at its N-th journal
write (before the write reaches storage, or just after it committed). This process then opens
the same file and reaps: the execution must complete with every node's result recorded
exactly once, and every side effect must have run at least once, always with the same
idempotency key. N grows until the child finishes without reaching N.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from nebula_kernel.workflows import ExecutionStatus, open_runtime

_CHILD = Path(__file__).with_name("wf_crash_child.py")
_ROOT = Path(__file__).resolve().parents[3]


def _child_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wf_crash_child", _CHILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


class _Later:
    """A clock an hour ahead: every lease the dead child held has lapsed."""

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(hours=1)


def _run_child(
    db: Path, effects: Path, kill_at: int, mode: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    return subprocess.run(
        [sys.executable, str(_CHILD), str(db), str(effects), str(kill_at), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def _recover(
    child: ModuleType, db: Path
) -> tuple[ExecutionStatus, dict[str, object], Counter[str]]:
    runtime = open_runtime(db, registry=child.registry(), clock=_Later())
    try:
        if runtime.executions():
            for execution in await runtime.reap():
                await execution.result()
            state = runtime.state(child.EXECUTION_ID)
            completions = Counter(
                str(e.node_id)
                for e in runtime.journal(child.EXECUTION_ID)
                if e.kind == "attempt_completed"
            )
            results: dict[str, object] = {
                node: (s.body or {}).get("output") for node, s in state.nodes.items()
            }
            if state.error:
                results["error"] = state.error
            return state.status, results, completions
        return ExecutionStatus.RUNNING, {}, Counter()
    finally:
        await runtime.aclose()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["before", "after"])
def test_killed_at_every_journal_write_the_run_resumes_exactly_once(
    tmp_path: Path, mode: str
) -> None:
    child = _child_module()
    expected = {
        "a": {"node": "a", "value": 1},
        "b": {"node": "b", "value": 2},
        "c": {"node": "c", "value": 4},
        "d": {"node": "d", "value": "d"},
        "e": {"node": "e", "value": [4, "e"]},
    }
    crashes = 0
    for kill_at in range(1, 40):
        db, effects = tmp_path / f"{mode}-{kill_at}.duckdb", tmp_path / f"{mode}-{kill_at}.txt"
        done = _run_child(db, effects, kill_at, mode)
        if done.returncode == 0:
            assert done.stdout.strip() == "completed"
            break
        assert done.returncode == -9, done.stderr[-2000:]
        crashes += 1
        status, results, completions = asyncio.run(_recover(child, db))
        if status is ExecutionStatus.RUNNING and not results:
            # Killed before the execution existed: nothing ran, nothing to resume.
            assert not effects.exists() or effects.read_text() == ""
            continue
        assert status is ExecutionStatus.COMPLETED, (kill_at, status, results.get("error"))
        assert results == expected, kill_at
        assert completions == Counter("abcde"), kill_at  # each result recorded exactly once
        effect_keys: dict[str, set[str]] = {}
        for line in effects.read_text().splitlines():
            node, key = line.split(" ")
            effect_keys.setdefault(node, set()).add(key)
        assert set(effect_keys) == set("abcde"), kill_at  # every effect ran at least once
        for node, keys in effect_keys.items():
            assert keys == {f"{child.EXECUTION_ID}/{node}"}, (kill_at, node)  # one stable key
    else:
        pytest.fail("the child never finished without reaching its kill point")
    assert crashes >= 3  # the workflow spans several journal writes, each one was a crash point
