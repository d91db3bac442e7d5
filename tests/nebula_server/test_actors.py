"""Clients as actors on a real server: a kernel's function serves a workflow action over the
gateway, its star only, and a kernel that disconnects fails its nodes retryably.

The wire protocol is exercised with a raw gateway socket on the in-process server; the kernel
API (``register_action`` on a remote store) against the shared server process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from nebula_kernel.client import RemoteResourceStore
from nebula_kernel.protocol import decode, encode
from nebula_kernel.workflows import RetryPolicy, Workflow
from tests._server import RunningServer
from tests.nebula_server._live import Connect, Peer

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]

STAR = "local.lab.default"
SCORING = """\
id: scoring
nodes:
  - {id: score, action: score, parameters: {points: 4}}
"""


async def _register(peer: Peer, **args: Any) -> dict[str, Any]:
    await peer.send(
        {"type": "call", "id": "reg", "target": "actors", "method": "register", "args": args}
    )
    reply = await peer.receive()
    assert reply["id"] == "reg", reply
    return reply


async def _settled(api: Api, execution_id: str, star: str = STAR) -> dict[str, Any]:
    """The execution's detail once it has ended (polled: it runs on the server's loop)."""
    for _ in range(400):
        status, _, detail = await api("GET", f"stars/{star}/executions/{execution_id}")
        assert status == 200, detail
        if detail["execution"]["status"] != "running":
            found: dict[str, Any] = detail
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not end")


async def _start(api: Api, star: str = STAR) -> str:
    status, _, started = await api("POST", f"stars/{star}/executions", {"source": SCORING})
    assert status == 201, started
    execution_id: str = started["execution"]["id"]
    return execution_id


# -- the wire ------------------------------------------------------------------------------------


async def test_an_invocation_carries_the_attempt_and_its_typed_answer(
    connect: Connect, api: Api
) -> None:
    peer = Peer(await connect("kernel-1"))
    registered = await _register(peer, action="score")
    assert registered == {
        "type": "result",
        "id": "reg",
        "value": {"star": STAR, "action": "score", "version": "1"},
    }
    run = await _start(api)
    invoke = await peer.receive()
    assert invoke["type"] == "invoke"
    assert {k: invoke[k] for k in ("action", "version", "star", "execution_id", "node_id")} == {
        "action": "score",
        "version": "1",
        "star": STAR,
        "execution_id": run,
        "node_id": "score",
    }
    assert invoke["attempt"] == 1 and decode(invoke["input"]) == {"points": 4}
    # Typed JSON: a key that looks like a tag travels wrapped and arrives as sent.
    output = {"score": 40, "$t": "not a tag"}
    value = encode(output)
    assert value != output
    await peer.send({"type": "invoke_result", "id": invoke["id"], "value": value})
    detail = await _settled(api, run)
    assert detail["execution"]["status"] == "completed", detail["nodes"]["score"]["error"]
    assert detail["nodes"]["score"]["output"] == output
    peer.ws.close()


async def test_an_invoke_error_fails_the_node_with_its_message(connect: Connect, api: Api) -> None:
    peer = Peer(await connect())
    await _register(peer, action="score")
    run = await _start(api)
    invoke = await peer.receive()
    error = {"message": "ValueError: too few points"}
    await peer.send({"type": "invoke_error", "id": invoke["id"], "error": error})
    detail = await _settled(api, run)
    assert detail["execution"]["status"] == "failed"
    assert detail["nodes"]["score"]["error"] == {
        "code": "actor_raised",
        "message": "Action score@1 failed in its kernel: ValueError: too few points",
    }
    peer.ws.close()


async def test_a_socket_closing_mid_attempt_fails_it_retryably(connect: Connect, api: Api) -> None:
    peer = Peer(await connect())
    await _register(peer, action="score")
    run = await _start(api)
    assert (await peer.receive())["type"] == "invoke"
    peer.ws.close()  # the kernel goes away with the attempt in flight
    detail = await _settled(api, run)
    error = detail["nodes"]["score"]["error"]
    assert detail["execution"]["status"] == "failed"
    assert error["code"] == "actor_unavailable"
    assert "disconnected" in error["message"] and "retried" in error["message"]


async def test_a_built_in_name_and_unknown_methods_are_refused(connect: Connect) -> None:
    peer = Peer(await connect())
    reply = await _register(peer, action="log")
    assert (reply["type"], reply["error"]["code"]) == ("error", "invalid_request")
    assert "built-in" in reply["error"]["message"]
    await peer.send({"type": "call", "id": "x", "target": "actors", "method": "nope", "args": {}})
    reply = await peer.receive()
    assert (reply["type"], reply["error"]["code"]) == ("error", "invalid_request")
    assert "Traceback" not in json.dumps(reply)
    peer.ws.close()


class TestViewer:
    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {"default_claims": {STAR: "viewer"}}

    async def test_a_viewer_cannot_register(self, connect: Connect) -> None:
        peer = Peer(await connect())
        reply = await _register(peer, action="score", star=STAR)
        assert (reply["type"], reply["error"]["code"]) == ("error", "forbidden")
        peer.ws.close()


# -- the kernel API --------------------------------------------------------------------------------


@pytest.fixture
def kernel(jupyter_server: RunningServer) -> Iterator[RemoteResourceStore]:
    """A remote store in a star of its own on the shared server."""
    star = f"test.actors.s{uuid.uuid4().hex[:12]}"
    with RemoteResourceStore(jupyter_server.url, jupyter_server.token) as admin:
        admin.create_star(star)
    with RemoteResourceStore(jupyter_server.url, jupyter_server.token, default_star=star) as nb:
        yield nb


def _scoring(retry: RetryPolicy | None = None) -> Workflow:
    wf = Workflow("scoring")
    wf.node("score", "score", points=4, retry=retry)
    return wf


def _drop_connection(store: RemoteResourceStore) -> None:
    """Cut the kernel's actor socket as a network failure would (it reconnects by itself)."""
    import socket

    actors: Any = store.workflows._backend._actors  # type: ignore[attr-defined]
    actors._socket.ws.sock.shutdown(socket.SHUT_RDWR)


def test_a_kernel_disconnecting_mid_attempt_is_retried_once_it_is_back(
    kernel: RemoteResourceStore,
) -> None:
    calls: list[int] = []

    def score(value: dict[str, Any]) -> dict[str, Any]:
        calls.append(value["points"])
        if len(calls) == 1:
            _drop_connection(kernel)
        return {"score": value["points"] * 10}

    retry = RetryPolicy(max_attempts=20, initial_backoff_s=0.05, max_backoff_s=0.5)
    with kernel.workflows.register_action("score", score):
        result = kernel.workflows.run(_scoring(retry), progress=False, timeout=60)
    assert result.ok, result.error
    assert result.results["score"] == {"score": 40}
    failed = [
        e["body"]
        for e in kernel.workflows.execution(result.id).journal().records()
        if e["kind"] == "attempt_failed"
    ]
    assert failed and all(b["error"]["code"] == "actor_unavailable" for b in failed)
    assert all(b["will_retry"] for b in failed)
    assert calls[0] == calls[-1] == 4 and len(calls) >= 2


def test_another_star_cannot_use_the_registration(
    kernel: RemoteResourceStore, jupyter_server: RunningServer
) -> None:
    served = threading.Event()
    other = f"test.actors.o{uuid.uuid4().hex[:12]}"
    with RemoteResourceStore(jupyter_server.url, jupyter_server.token) as admin:
        admin.create_star(other)
    with (
        kernel.workflows.register_action("score", lambda v: served.set()),
        RemoteResourceStore(jupyter_server.url, jupyter_server.token, default_star=other) as nb,
    ):
        result = nb.workflows.run(_scoring(), progress=False, timeout=60)
    error = result.nodes["score"].error
    assert result.status == "failed" and error is not None
    assert error["code"] == "actor_unavailable" and not served.is_set()
