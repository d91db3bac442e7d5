"""The live gateway against a real Jupyter server: calls, subscriptions, resume, security."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClientConnection

from nebula_kernel.protocol import decode
from tests.nebula_server._live import Connect, Peer

STAR = "local.lab.default"


async def _define(peer: Peer, jp_fetch: Any) -> None:
    await jp_fetch(
        "nebula",
        "api",
        "v1",
        "stars",
        STAR,
        "types",
        "Task",
        method="PUT",
        body=json.dumps({"json_schema": {"type": "object"}}),
    )


async def test_calls_round_trip_with_typed_values(connect: Connect, jp_fetch: Any) -> None:
    peer = Peer(await connect())
    await _define(peer, jp_fetch)
    reply = await peer.call("put", type="Task", id="t1", value={"title": "a"})
    assert reply["type"] == "result"
    written = decode(reply["value"])
    assert written["value"] == {"title": "a"} and written["snapshot_number"] == 1
    got = decode((await peer.call("get", type="Task", id="t1"))["value"])
    assert got["etag"] == written["etag"]
    missing = await peer.call("get", type="Task", id="nope")
    assert missing["type"] == "error" and missing["error"]["code"] == "resource_not_found"
    bad = await peer.call("explode")
    assert bad["error"]["code"] == "invalid_request" and "Unknown method" in bad["error"]["message"]
    peer.ws.close()


async def test_subscription_pushes_changes_and_resume_gets_exactly_the_missed(
    connect: Connect, jp_fetch: Any
) -> None:
    peer = Peer(await connect())
    await _define(peer, jp_fetch)
    await peer.send({"type": "subscribe", "id": "s1", "topic": {"type": "Task"}})
    assert (await peer.receive())["value"] == {"seq": 0}
    writer = Peer(await connect("writer"))
    for i in range(3):
        assert (await writer.call("put", type="Task", id=f"t{i}", value={"n": i}))[
            "type"
        ] == "result"
    events = [await peer.receive() for _ in range(3)]
    assert [(e["type"], e["sub"], e["seq"]) for e in events] == [
        ("event", "s1", s) for s in (1, 2, 3)
    ]
    data = decode(events[0]["data"])
    assert data["op"] == "put" and data["resource"]["value"] == {"n": 0}
    assert data["resource"]["valid_from"].tzinfo is not None  # a real datetime again
    peer.ws.close()

    # Reconnect after missing two changes: resume from the last seen sequence.
    await writer.call("put", type="Task", id="t3", value={"n": 3})
    await writer.call("delete", type="Task", id="t0")
    again = Peer(await connect())
    await again.send({"type": "subscribe", "id": "s1", "topic": {"type": "Task"}, "since": 3})
    assert (await again.receive())["value"] == {"seq": 5}
    missed = [await again.receive() for _ in range(2)]
    assert [(e["seq"], decode(e["data"])["op"]) for e in missed] == [(4, "put"), (5, "delete")]
    await again.send({"type": "ping", "id": "p"})
    assert await again.receive() == {"type": "pong", "id": "p"}
    again.ws.close()
    writer.ws.close()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{not json", "invalid_request"),
        (
            json.dumps({"type": "call", "id": "x", "target": "kernel", "method": "m"}),
            "invalid_request",
        ),
        (
            json.dumps({"type": "subscribe", "id": "x", "topic": {"star": "no.such.star"}}),
            "star_not_found",
        ),
        (
            json.dumps({"type": "subscribe", "id": "x", "topic": {"where": {"a": {"$bad": 1}}}}),
            "invalid_query",
        ),
        (json.dumps({"type": "subscribe", "id": "x", "topic": {}, "since": 99}), "invalid_request"),
        (
            '{"type": "ping", "id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "invalid_request",
        ),
        (json.dumps({"type": "teleport", "id": "x"}), "invalid_request"),
    ],
)
async def test_bad_messages_get_typed_errors_and_keep_the_socket(
    connect: Connect, message: str, code: str
) -> None:
    peer = Peer(await connect())
    await peer.ws.write_message(message)
    reply = await peer.receive()
    assert reply["type"] == "error" and reply["error"]["code"] == code
    assert "Traceback" not in json.dumps(reply)
    await peer.send({"type": "ping", "id": "still-alive"})
    assert (await peer.receive())["type"] == "pong"
    peer.ws.close()


@pytest.mark.parametrize(
    ("headers", "subprotocols"),
    [
        ({"Authorization": "token wrong"}, ["nebula.v1", "nebula.client.x"]),  # bad token
        ({}, ["nebula.v1"]),  # no client id
        ({}, ["nebula.client.x"]),  # no protocol version
        ({}, ["nebula.v1", "nebula.client.a", "nebula.client.b"]),  # two ids
    ],
)
async def test_refused_sockets(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
    headers: dict[str, str],
    subprotocols: list[str],
) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_ws_fetch("nebula", "api", "v1", "live", headers=headers, subprotocols=subprotocols)
    assert caught.value.code in (400, 403)


async def test_cookie_sockets_are_checked_for_origin(
    browser_cookie: Callable[[], Awaitable[str]],
    jp_http_port: int,
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
) -> None:
    """A browser authenticates with its cookie, which a hostile page would send too: the
    Origin must match the server."""
    protocols = ["nebula.v1", "nebula.client.browser"]
    cookie_only = {"Cookie": await browser_cookie(), "Authorization": ""}
    with pytest.raises(HTTPClientError) as caught:
        await jp_ws_fetch(
            "nebula",
            "api",
            "v1",
            "live",
            subprotocols=protocols,
            headers={**cookie_only, "Origin": "http://evil.example"},
        )
    assert caught.value.code == 403
    ws = await jp_ws_fetch(
        "nebula",
        "api",
        "v1",
        "live",
        subprotocols=protocols,
        headers={**cookie_only, "Origin": f"http://localhost:{jp_http_port}"},
    )
    await ws.write_message(json.dumps({"type": "ping", "id": "same-origin"}))
    assert json.loads(str(await ws.read_message()))["type"] == "pong"
    ws.close()


class TestTooFarBehind:
    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {"max_replay": 2}

    async def test_a_resume_too_far_behind_gets_a_resync_then_live_events(
        self, connect: Connect, jp_fetch: Any
    ) -> None:
        writer = Peer(await connect("writer"))
        await _define(writer, jp_fetch)
        for i in range(5):
            await writer.call("put", type="Task", id=f"t{i}", value={"n": i})
        peer = Peer(await connect())
        await peer.send({"type": "subscribe", "id": "s", "topic": {}, "since": 1})
        assert (await peer.receive())["value"] == {"seq": 5}
        resync = await peer.receive()
        assert (resync["type"], resync["seq"]) == ("resync", 5)
        await writer.call("put", type="Task", id="live", value={"n": 9})
        live = await peer.receive()
        assert (live["type"], live["seq"]) == ("event", 6)
        peer.ws.close()
        writer.ws.close()


async def test_a_client_that_stops_reading_is_cut_off_not_buffered_forever(
    connect: Connect, jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nebula_server.gateway import GatewayHandler

    monkeypatch.setattr(GatewayHandler, "max_buffer_bytes", 2 * 1024 * 1024)
    stalled = Peer(await connect("stalled"))
    await _define(stalled, jp_fetch)
    await stalled.send({"type": "subscribe", "id": "s", "topic": {"type": "Task"}})
    assert (await stalled.receive())["type"] == "result"
    # From here the stalled client reads nothing while ~24 MB of events are published: far
    # more than the loopback socket buffers hold, so the server's own buffer must pass its cap.
    writer = Peer(await connect("writer"))
    blob = "x" * 400_000
    for i in range(60):
        reply = await writer.call("put", type="Task", id=f"t{i % 3}", value={"blob": blob})
        assert reply["type"] == "result"
    messages = 0
    while True:
        raw = await stalled.ws.read_message()
        if raw is None:
            break
        messages += 1
    assert stalled.ws.close_code == 1008
    assert "too slow" in str(stalled.ws.close_reason)
    assert messages < 60  # cut off before everything was queued for it
    stalled.ws.close()
    writer.ws.close()


async def test_events_larger_than_the_socket_buffers_arrive_whole_and_in_order(
    connect: Connect, jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each event outgrows what the socket takes at once: the rest is queued on the stream, and
    # the next event must go behind it, never beside it. Small kernel buffers make sure.
    from nebula_server.gateway import GatewayHandler

    send_frames = GatewayHandler.send_frames

    def with_small_buffers(handler: GatewayHandler, frames: Any) -> None:
        assert handler.ws_connection is not None and handler.ws_connection.stream is not None
        handler.ws_connection.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16_384)
        send_frames(handler, frames)

    monkeypatch.setattr(GatewayHandler, "send_frames", with_small_buffers)
    reader = Peer(await connect("reader"))
    await _define(reader, jp_fetch)
    await reader.send({"type": "subscribe", "id": "s", "topic": {"type": "Task"}})
    assert (await reader.receive())["type"] == "result"
    writer = Peer(await connect("writer"))
    sizes = [700_000 + i * 1_000 for i in range(12)]
    # Read while writing, so the socket keeps taking part of each event as the next arrives.
    reading = asyncio.gather(*(reader.receive() for _ in sizes))
    for i, size in enumerate(sizes):
        reply = await writer.call("put", type="Task", id=f"big{i}", value={"blob": "y" * size})
        assert reply["type"] == "result"
    events = await reading
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert [len(decode(e["data"])["resource"]["value"]["blob"]) for e in events] == sizes
    reader.ws.close()
    writer.ws.close()
