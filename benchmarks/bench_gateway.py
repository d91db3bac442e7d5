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
import base64
import gc
import json
import os
import statistics
import struct
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

from benchmarks._runner import Suite
from nebula_server.testing import RunningServer, running_server


@contextmanager
def _server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory() as root, running_server(Path(root)) as server:
        httpx.put(
            server.url + "nebula/api/v1/stars/local.lab.default/types/Tick",
            headers=server.headers,
            json={"json_schema": {"type": "object"}},
        )
        yield server


class _RawSocket:
    """A minimal WebSocket client on asyncio streams: the benchmark's 1,000 sockets share one
    process and must cost far less than the server they measure (a full client library spends
    ~25 µs a message, which alone would saturate a core at 20,000 messages/s)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buffer = b""

    @classmethod
    async def connect(cls, server: RunningServer, client_id: str) -> _RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                "GET /nebula/api/v1/live HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: nebula.v1, nebula.client.{client_id}\r\n"
                f"Authorization: token {server.token}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {head[:60]!r}")
        return cls(reader, writer)

    def send(self, message: dict[str, object]) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        size = len(payload)
        header = (
            struct.pack("!BB", 0x81, 0x80 | size)
            if size < 126
            else struct.pack("!BBH", 0x81, 0x80 | 126, size)
        )
        self.writer.write(header + mask + masked)

    async def receive(self) -> bytes:
        """The next frame's payload (server frames are unmasked)."""
        while True:
            buf = self.buffer
            if len(buf) >= 2:
                size, offset = buf[1] & 0x7F, 2
                if size == 126 and len(buf) >= 4:
                    size, offset = struct.unpack_from("!H", buf, 2)[0], 4
                elif size == 127 and len(buf) >= 10:
                    size, offset = struct.unpack_from("!Q", buf, 2)[0], 10
                if size < 126 or offset > 2:
                    end = offset + size
                    if len(buf) >= end:
                        self.buffer = buf[end:]
                        return buf[offset:end]
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def close(self) -> None:
        self.writer.close()


async def _subscribers(server: RunningServer, count: int) -> list[_RawSocket]:
    sockets = []
    for n in range(count):
        ws = await _RawSocket.connect(server, f"b{n}")
        ws.send({"type": "subscribe", "id": "s", "topic": {"type": "Tick"}})
        await ws.receive()  # the subscription's result
        sockets.append(ws)
    return sockets


_AT = b'"at":{"$t":"datetime","v":"'


async def _collect(ws: _RawSocket, expected: int, latencies: list[float]) -> None:
    for _ in range(expected):
        raw = await ws.receive()
        received = time.time()
        start = raw.index(_AT) + len(_AT)
        at = datetime.fromisoformat(raw[start : raw.index(b'"', start)].decode())
        latencies.append(received - at.timestamp())


async def _run(
    server: RunningServer, subscribers: int, writes: int, rate: float | None, writers: int = 1
) -> tuple[list[float], float]:
    """``writes`` changes from ``writers`` concurrent writers, paced to ``rate`` per second in
    all (or as fast as the server takes them)."""
    sockets = await _subscribers(server, subscribers)
    gc.collect()
    gc.freeze()  # as the server does: keep full collections from stalling 1,000 readers
    latencies: list[float] = []
    readers = [asyncio.create_task(_collect(ws, writes, latencies)) for ws in sockets]
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        start = time.perf_counter()

        async def write(first: int) -> None:
            for n in range(first, writes, writers):
                await client.put(
                    f"nebula/api/v1/stars/local.lab.default/resources/Tick/t{n % 50}",
                    json={"n": n},
                )
                if rate is not None:
                    await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))

        await asyncio.gather(*(write(w) for w in range(writers)))
        await asyncio.wait_for(asyncio.gather(*readers), timeout=300)
        elapsed = time.perf_counter() - start
    for ws in sockets:
        ws.close()
    return latencies, subscribers * writes / elapsed


async def _ping_floor(server: RunningServer, rounds: int) -> list[float]:
    (ws,) = await _subscribers(server, 1)
    samples = []
    for n in range(rounds):
        start = time.perf_counter()
        ws.send({"type": "ping", "id": str(n)})
        await ws.receive()
        samples.append(time.perf_counter() - start)
    ws.close()
    return samples


def _quantile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def run(suite: Suite) -> None:
    with _server() as server:
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
        _, delivered = asyncio.run(_run(server, sizes[-1], writes * 2, rate=None, writers=4))
        suite.record(
            f"max rate, {sizes[-1]} subscribers, 4 writers",
            [1 / delivered],
            target=">= 50,000 msg/s",
            note=f"{delivered:,.0f} msg/s delivered",
            check=(lambda r: r.ops_per_s >= 50_000) if not suite.quick else None,
        )
