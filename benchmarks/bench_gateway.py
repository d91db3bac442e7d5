"""Live gateway fan-out: one writer, many WebSocket subscribers, on loopback.

A real ``jupyter server`` with Nebula runs in a subprocess; this process holds every subscriber
socket on one asyncio loop (tornado's client) and writes through the REST API. Latency is from
the commit instant the server stamps on each change (``at``) to its receipt here: same machine,
same clock. Rows: p50/p99 latency at 20 commits/s with 100 and 1,000 subscribers, and delivered
messages per second when writing as fast as the server takes it. The baseline row is the
loopback round trip of a WebSocket ping, the floor under any delivery.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from tornado.websocket import WebSocketClientConnection

from benchmarks._runner import Suite

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory()
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": f"{self.dir.name}/runtime",
            "JUPYTER_CONFIG_DIR": f"{self.dir.name}/config",
            "PYTHONPATH": str(ROOT),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                f"--ServerApp.port={self.port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.dir.name}",
                "--ServerApp.log_level=WARN",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.headers = {"Authorization": f"token {self.token}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "nebula/api/v1/stars", headers=self.headers).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            self.close()
            raise RuntimeError("the jupyter server did not start")
        httpx.put(
            self.url + "nebula/api/v1/stars/local.lab.default/types/Tick",
            headers=self.headers,
            json={"json_schema": {"type": "object"}},
        )

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.dir.cleanup()


async def _subscribers(server: Server, count: int) -> list[WebSocketClientConnection]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{server.port}/nebula/api/v1/live"
    sockets = []
    for n in range(count):
        ws = await websocket_connect(
            HTTPRequest(url, headers=server.headers),
            subprotocols=["nebula.v1", f"nebula.client.b{n}"],
        )
        await ws.write_message(
            json.dumps({"type": "subscribe", "id": "s", "topic": {"type": "Tick"}})
        )
        await ws.read_message()  # the subscription's result
        sockets.append(ws)
    return sockets


_AT = '"at":{"$t":"datetime","v":"'


async def _collect(ws: WebSocketClientConnection, expected: int, latencies: list[float]) -> None:
    # The client must cost less than the server it measures (both share 2 cores): read only
    # the commit instant out of each event instead of decoding all of it.
    for _ in range(expected):
        raw = str(await ws.read_message())
        received = time.time()
        start = raw.index(_AT) + len(_AT)
        at = datetime.fromisoformat(raw[start : raw.index('"', start)])
        latencies.append(received - at.timestamp())


async def _run(
    server: Server, subscribers: int, writes: int, rate: float | None
) -> tuple[list[float], float]:
    sockets = await _subscribers(server, subscribers)
    latencies: list[float] = []
    readers = [asyncio.create_task(_collect(ws, writes, latencies)) for ws in sockets]
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        start = time.perf_counter()
        for n in range(writes):
            await client.put(
                f"nebula/api/v1/stars/local.lab.default/resources/Tick/t{n % 50}", json={"n": n}
            )
            if rate is not None:
                await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))
        await asyncio.wait_for(asyncio.gather(*readers), timeout=300)
        elapsed = time.perf_counter() - start
    for ws in sockets:
        ws.close()
    return latencies, subscribers * writes / elapsed


async def _ping_floor(server: Server, rounds: int) -> list[float]:
    (ws,) = await _subscribers(server, 1)
    samples = []
    for n in range(rounds):
        start = time.perf_counter()
        await ws.write_message(json.dumps({"type": "ping", "id": str(n)}))
        await ws.read_message()
        samples.append(time.perf_counter() - start)
    ws.close()
    return samples


def _quantile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def run(suite: Suite) -> None:
    server = Server()
    try:
        sizes = (10, 50) if suite.quick else (100, 1000)
        writes = 20 if suite.quick else 100
        suite.record("ws ping round trip (floor)", asyncio.run(_ping_floor(server, 200)))
        for count in sizes:
            latencies, _ = asyncio.run(_run(server, count, writes, rate=20.0))
            p50, p99 = _quantile(latencies, 50), _quantile(latencies, 99)
            suite.record(
                f"{count} subscribers @20 commits/s: p50",
                [p50],
                baseline="ws ping round trip (floor)",
            )
            suite.record(
                f"{count} subscribers @20 commits/s: p99",
                [p99],
                target="p99 <= 35 ms" if count >= 1000 else "",
                check=(lambda r: r.median_s <= 0.035) if count >= 1000 else None,
            )
        _, delivered = asyncio.run(_run(server, sizes[-1], writes * 2, rate=None))
        suite.record(
            f"max rate, {sizes[-1]} subscribers",
            [1 / delivered],
            target=">= 50,000 msg/s",
            note=f"{delivered:,.0f} msg/s delivered",
            check=(lambda r: r.ops_per_s >= 50_000) if not suite.quick else None,
        )
    finally:
        server.close()
