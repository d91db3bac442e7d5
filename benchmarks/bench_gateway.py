"""Live gateway fan-out: one writer, many WebSocket subscribers, on loopback.

A real ``jupyter server`` with Nebula runs in a subprocess, and so does the floor: plain
tornado broadcasting a pre-encoded message (benchmarks/_tornado_floor.py). Both are measured by
the same instrument, a lean subscriber process (benchmarks/_ws_subscribers.py), while this
process writes through HTTP. Latency is from the commit instant stamped in each event (``at``)
to the moment its bytes arrive at the subscriber: same machine, same clock. Rows: p50/p99 at
20 commits/s with 100 and 1,000 subscribers, and delivered messages per second when writing as
fast as the server takes it, each beside the tornado floor as a ratio.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks._runner import Suite
from nebula_server.testing import RunningServer, free_port, running_server


@contextmanager
def _server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory() as root, running_server(Path(root)) as server:
        httpx.put(
            server.url + "nebula/api/v1/stars/local.lab.default/types/Tick",
            headers=server.headers,
            json={"json_schema": {"type": "object"}},
        )
        yield server


@dataclass(frozen=True)
class _Target:
    """A server under measurement: where subscribers connect and how one change is written."""

    name: str
    port: int
    live_path: str
    token: str
    topic: dict[str, object]
    write_path: str
    headers: dict[str, str]
    method: str

    def write(self, client: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        path = self.write_path.format(n=n % 50)
        return client.request(self.method, path, json={"n": n})


def _nebula(server: RunningServer) -> _Target:
    return _Target(
        "nebula",
        server.port,
        "/nebula/api/v1/live",
        server.token,
        {"type": "Tick"},
        "nebula/api/v1/stars/local.lab.default/resources/Tick/t{n}",
        dict(server.headers),
        "PUT",
    )


@contextmanager
def _tornado_floor() -> Iterator[_Target]:
    port = free_port()
    # This interpreter and a module of this repository: nothing untrusted.
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._tornado_floor", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield _Target("tornado", port, "/live", "", {}, "publish", {}, "POST")
    finally:
        proc.terminate()
        proc.wait()


@contextmanager
def _subscribers(target: _Target, count: int, expected: int) -> Iterator[Callable[[], Any]]:
    """``count`` subscribers in their own process, ready when this yields; the callable waits
    for their report (latencies and the instant the last event arrived)."""
    spec = {
        "host": "127.0.0.1",
        "port": target.port,
        "path": target.live_path,
        "token": target.token,
        "topic": target.topic,
        "count": count,
        "expected": expected,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._ws_subscribers"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(spec) + "\n")
    proc.stdin.flush()
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("the subscribers could not connect")
    try:
        yield lambda: json.loads(proc.stdout.readline()) if proc.stdout else None
    finally:
        proc.kill()
        proc.wait()


async def _write(target: _Target, writes: int, rate: float | None, writers: int) -> float:
    """``writes`` changes from ``writers`` concurrent writers, paced to ``rate`` per second in
    all (or as fast as the server takes them); the wall-clock instant writing began."""
    base = f"http://127.0.0.1:{target.port}/"
    async with httpx.AsyncClient(base_url=base, headers=target.headers) as client:
        began, start = time.time(), time.perf_counter()

        async def write(first: int) -> None:
            for n in range(first, writes, writers):
                (await target.write(client, n)).raise_for_status()
                if rate is not None:
                    await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))

        await asyncio.gather(*(write(w) for w in range(writers)))
    return began


def _run(
    target: _Target, subscribers: int, writes: int, rate: float | None, writers: int = 1
) -> tuple[list[float], float]:
    """Latencies of every delivery, and deliveries per second."""
    with _subscribers(target, subscribers, writes) as report:
        began = asyncio.run(_write(target, writes, rate, writers))
        result = report()
    return result["latencies"], subscribers * writes / (result["last_stamp"] - began)


def _quantile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def run(suite: Suite) -> None:
    sizes = (10, 50) if suite.quick else (100, 1000)
    writes = 20 if suite.quick else 100
    with _server() as server, _tornado_floor() as floor:
        for count in sizes:
            for target in (floor, _nebula(server)):
                latencies, _ = _run(target, count, writes, rate=20.0)
                gate = target.name == "nebula" and count >= 1000
                for q in (50, 99):
                    suite.record(
                        f"{target.name}: {count} subscribers @20 commits/s: p{q}",
                        [_quantile(latencies, q)],
                        baseline=None
                        if target is floor
                        else f"tornado: {count} subscribers @20 commits/s: p{q}",
                        target="p99 <= 35 ms" if gate and q == 99 else "",
                        check=(lambda r: r.median_s <= 0.035) if gate and q == 99 else None,
                    )
        for target in (floor, _nebula(server)):
            _, delivered = _run(target, sizes[-1], writes * 2, rate=None, writers=4)
            gate = target.name == "nebula" and not suite.quick
            suite.record(
                f"{target.name}: max rate, {sizes[-1]} subscribers, 4 writers",
                [1 / delivered],
                baseline=None
                if target is floor
                else f"tornado: max rate, {sizes[-1]} subscribers, 4 writers",
                target=">= 50,000 msg/s" if gate else "",
                note=f"{delivered:,.0f} msg/s delivered",
                check=(lambda r: r.ops_per_s >= 50_000) if gate else None,
            )
