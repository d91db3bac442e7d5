"""Crash safety: SIGKILL a writer at random points; every acknowledged transaction survives,
no partial transaction is ever visible, and the history stays consistent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

import nebula_kernel as nk

WRITER = Path(__file__).with_name("_crash_writer.py")
ROOT = Path(__file__).resolve().parents[3]


def _spawn(path: Path, start: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _run_until_killed(path: Path, start: int, rng: random.Random) -> list[int]:
    proc = _spawn(path, start)
    acked: list[int] = []
    assert proc.stdout is not None
    kill_after = rng.randint(1, 25)
    while len(acked) < kill_after:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(
                f"writer died on its own: {proc.stderr.read() if proc.stderr else ''}"
            )
        acked.append(int(line.split()[1]))
    # Land the kill at an arbitrary moment of the next commit, not just between commits.
    time.sleep(rng.random() * 0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Anything it printed before dying was acknowledged too.
    acked += [int(line.split()[1]) for line in proc.stdout.read().splitlines() if line]
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    return acked


def _check(path: Path) -> int:
    """Verify the file; return the last committed transaction number."""
    with nk.open_store(path) as store:
        items = store.list("Item", limit=10_000)
        by_tx: dict[int, set[str]] = defaultdict(set)
        for item in items:
            if item.id != "counter":
                by_tx[int(item.value["tx"])].add(item.id)
        for tx, ids in by_tx.items():
            expected = {f"{tx}-a", f"{tx}-b", f"{tx}-c"} | {
                f"{tx}-pad-{n}" for n in range(tx % 5 * 40)
            }
            assert ids == expected, f"transaction {tx} is partial"
        last = store.get("Item", "counter").value["tx"]
        assert sorted(by_tx) == list(range(last + 1)), "a committed transaction is missing"
        history = store.history("Item", "counter")
        assert [h.value["tx"] for h in history] == list(range(last + 1))
        for older, newer in pairwise(history):
            assert older.valid_to == newer.valid_from
        assert history[-1].is_current
        # Every change has its sequence number, without gaps.
        assert store.last_seq() == sum(len(ids) for ids in by_tx.values()) + last + 1
        return int(last)


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("seed", range(3))
def test_sigkill_at_random_points_loses_no_acknowledged_transaction(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    path = tmp_path / "crash.duckdb"
    next_tx = 0
    for _ in range(4):
        acked = _run_until_killed(path, next_tx, rng)
        last = _check(path)
        assert max(acked) <= last, "an acknowledged transaction was lost"
        next_tx = last + 1


def test_a_file_locked_by_another_process_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, nebula_kernel as nk; s = nk.open_store(sys.argv[1]); "
            "print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(nk.StoreLocked) as caught:
            nk.open_store(path)
        assert caught.value.details["pid"] == holder.pid
        assert str(holder.pid) in caught.value.message and str(path) in caught.value.message
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)
        if holder.stdout:
            holder.stdout.close()
