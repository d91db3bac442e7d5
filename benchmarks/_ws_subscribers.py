"""Many WebSocket subscribers in one lean process: the measuring instrument of bench_gateway.

Run as ``python -m benchmarks._ws_subscribers`` with a JSON spec on standard input. It opens
``count`` sockets, subscribes each, prints ``ready``, then reads every socket from one epoll
loop until each has received ``expected`` frames, and prints the latencies as JSON.

Why so bare: the instrument shares two cores with the server it measures. An asyncio client
spends ~25 µs per socket wake-up, which at 1,000 subscribers adds ~25 ms to the last socket's
latency on its own. Here a wake-up is one ``recv`` and a header parse, and every frame is
stamped with the instant ``epoll`` reported its socket readable (its bytes had arrived then),
not the later instant this loop gets round to reading it: the latency is the server's, not the
instrument's. The JSON is parsed after the run: the commit time (``at``) is read from the first
socket's frames, since every socket receives the same changes in order.
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["commit_time"]

_AT = b'"at":{"$t":"datetime","v":"'


def commit_time(payload: bytes) -> float:
    """The commit instant an event frame carries, as a POSIX timestamp."""
    start = payload.index(_AT) + len(_AT)
    return datetime.fromisoformat(payload[start : payload.index(b'"', start)].decode()).timestamp()


def _masked_text_frame(message: dict[str, object]) -> bytes:
    payload = json.dumps(message).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, 0x80 | size)
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
    return header + mask + masked


def _split_frames(buf: bytes) -> tuple[list[bytes], bytes]:
    """Complete server frames (unmasked) at the start of ``buf``, and what is left over."""
    frames = []
    while len(buf) >= 2:
        size, offset = buf[1] & 0x7F, 2
        if size == 126:
            if len(buf) < 4:
                break
            size, offset = struct.unpack_from("!H", buf, 2)[0], 4
        elif size == 127:
            if len(buf) < 10:
                break
            size, offset = struct.unpack_from("!Q", buf, 2)[0], 10
        end = offset + size
        if len(buf) < end:
            break
        frames.append(buf[offset:end])
        buf = buf[end:]
    return frames, buf


@dataclass
class _Subscriber:
    sock: socket.socket
    buffer: bytes = b""
    stamps: list[float] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)


def _open(spec: dict[str, object], n: int) -> _Subscriber:
    sock = socket.create_connection((str(spec["host"]), int(str(spec["port"]))))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {spec['path']} HTTP/1.1\r\nHost: {spec['host']}:{spec['port']}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: nebula.v1, nebula.client.bench{n}\r\n"
            f"Authorization: token {spec['token']}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:60]!r}")
    sub = _Subscriber(sock, head.split(b"\r\n\r\n", 1)[1])
    sock.sendall(_masked_text_frame({"type": "subscribe", "id": "s", "topic": spec["topic"]}))
    while True:  # the subscription's result comes before any event
        frames, sub.buffer = _split_frames(sub.buffer)
        if frames:
            reply = json.loads(frames[0])
            if reply.get("type") != "result":
                raise RuntimeError(f"subscribe refused: {reply}")
            return sub
        sub.buffer += sock.recv(65536)


def _read_all(subs: list[_Subscriber], expected: int, timeout_s: float) -> None:
    poller = select.epoll()
    by_fd = {}
    for sub in subs:
        sub.sock.setblocking(False)
        poller.register(sub.sock.fileno(), select.EPOLLIN)
        by_fd[sub.sock.fileno()] = sub
    first = subs[0]
    waiting = len(subs)
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        ready = poller.poll(1.0)
        # Every socket epoll reports had its bytes in by now: this is their arrival instant,
        # whatever this loop then takes to read them one by one.
        now = time.time()
        for fd, _ in ready:
            sub = by_fd[fd]
            data = sub.sock.recv(1 << 18)
            if not data:
                raise ConnectionError("the server closed a subscriber")
            frames, sub.buffer = _split_frames(sub.buffer + data)
            before = len(sub.stamps)
            sub.stamps.extend([now] * len(frames))
            if sub is first:
                sub.payloads.extend(frames)
            if before < expected <= len(sub.stamps):
                waiting -= 1
    if waiting:
        raise TimeoutError(f"{waiting} subscribers did not get all {expected} events")


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    subs = [_open(spec, n) for n in range(int(spec["count"]))]
    print("ready", flush=True)
    expected = int(spec["expected"])
    _read_all(subs, expected, float(spec.get("timeout_s", 300)))
    commits = [commit_time(p) for p in subs[0].payloads[:expected]]
    latencies = [stamp - at for sub in subs for stamp, at in zip(sub.stamps, commits, strict=False)]
    last_stamp = max(sub.stamps[expected - 1] for sub in subs)
    print(json.dumps({"latencies": latencies, "last_stamp": last_stamp}), flush=True)
    for sub in subs:
        sub.sock.close()


if __name__ == "__main__":
    main()
