"""The gateway's ``executions`` topic on a real server: every journal entry live and in order,
exact resume after a disconnect, and nothing of stars the subscriber may not read."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from nebula_kernel.protocol import decode
from tests.nebula_server._live import Connect, Peer

Api = Callable[..., Awaitable[tuple[int, dict[str, Any], Any]]]

STAR = "local.lab.default"
OTHER = "local.lab.other"
GREET = """\
id: greet
nodes:
  - {id: hello, action: log, parameters: {message: "Hello {{ $input.name }}"}}
  - {id: shout, action: log, parameters: {message: {$expr: "upper($nodes.hello.result.message)"}}}
connections:
  - {from: hello, to: shout}
"""
ENTRIES_PER_RUN = 6  # started, twice (attempt started, completed), completed


async def _run(api: Api, name: str, star: str = STAR, execution_id: str | None = None) -> str:
    body: dict[str, Any] = {"source": GREET, "input": {"name": name}}
    if execution_id is not None:
        body["execution_id"] = execution_id
    status, _, started = await api("POST", f"stars/{star}/executions", body)
    assert status == 201, started
    run_id: str = started["execution"]["id"]
    return run_id


async def _journal(api: Api, execution_id: str, star: str = STAR) -> list[dict[str, Any]]:
    status, _, body = await api("GET", f"stars/{star}/executions/{execution_id}/journal")
    assert status == 200
    entries: list[dict[str, Any]] = body["entries"]
    return entries


async def _events(peer: Peer, count: int) -> list[dict[str, Any]]:
    events = [await peer.receive() for _ in range(count)]
    assert all(e["type"] == "event" for e in events), events
    return events


async def _subscribe(peer: Peer, topic: dict[str, Any], since: int | None = None) -> int:
    message: dict[str, Any] = {"type": "subscribe", "id": "runs", "topic": topic}
    if since is not None:
        message["since"] = since
    await peer.send(message)
    reply = await peer.receive()
    assert reply["type"] == "result", reply
    latest: int = reply["value"]["seq"]
    return latest


def _entries_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [decode(e["data"])["entry"] for e in events]


async def test_every_entry_of_a_run_arrives_in_order_with_its_status(
    connect: Connect, api: Api
) -> None:
    peer = Peer(await connect())
    assert await _subscribe(peer, {"kind": "executions"}) == 0
    run = await _run(api, "Ada")
    events = await _events(peer, ENTRIES_PER_RUN)
    assert [e["sub"] for e in events] == ["runs"] * ENTRIES_PER_RUN
    data = [decode(e["data"]) for e in events]
    assert {(d["execution_id"], d["workflow_id"]) for d in data} == {(run, "greet")}
    assert [e["seq"] for e in events] == [d["entry"]["seq"] for d in data]
    # Exactly the journal, entry for entry, and the status after each one.
    assert _entries_of(events) == await _journal(api, run)
    assert [d["status"] for d in data] == ["running"] * 5 + ["completed"]
    assert data[2]["entry"]["body"]["output"] == {"message": "Hello Ada"}
    peer.ws.close()


async def test_a_resume_gets_exactly_the_missed_entries_then_live_ones(
    connect: Connect, api: Api
) -> None:
    peer = Peer(await connect())
    await _subscribe(peer, {"kind": "executions", "star": STAR})
    first = await _run(api, "one")
    seen = await _events(peer, ENTRIES_PER_RUN)
    last_seen = seen[-1]["seq"]
    peer.ws.close()
    # Disconnected while two more runs happen.
    missed_runs = [await _run(api, "two"), await _run(api, "three")]
    for run in missed_runs:  # both are done before the client comes back
        while (await _journal(api, run))[-1]["kind"] != "execution_completed":
            pass
    again = Peer(await connect())
    latest = await _subscribe(again, {"kind": "executions", "star": STAR}, since=last_seen)
    missed = await _events(again, 2 * ENTRIES_PER_RUN)
    expected = [e for run in missed_runs for e in await _journal(api, run)]
    assert _entries_of(missed) == sorted(expected, key=lambda e: e["seq"])
    assert missed[-1]["seq"] == latest
    assert first not in {decode(e["data"])["execution_id"] for e in missed}
    live_run = await _run(api, "four")
    live = await _events(again, ENTRIES_PER_RUN)
    assert _entries_of(live) == await _journal(api, live_run)  # nothing twice, nothing lost
    await again.send({"type": "unsubscribe", "id": "runs"})
    assert await again.receive() == {"type": "result", "id": "runs", "value": True}
    again.ws.close()


async def test_a_subscription_to_one_execution_sees_only_it(connect: Connect, api: Api) -> None:
    peer = Peer(await connect())
    await _subscribe(peer, {"kind": "executions", "execution_id": "watched"})
    await _run(api, "noise")
    await _run(api, "signal", execution_id="watched")
    events = await _events(peer, ENTRIES_PER_RUN)
    assert {decode(e["data"])["execution_id"] for e in events} == {"watched"}
    assert _entries_of(events) == await _journal(api, "watched")
    peer.ws.close()


async def test_another_stars_runs_are_invisible(connect: Connect, api: Api) -> None:
    status, _, _ = await api("POST", "stars", {"star": OTHER})
    assert status == 201
    peer = Peer(await connect())
    await _subscribe(peer, {"kind": "executions", "star": STAR})
    hidden = await _run(api, "elsewhere", star=OTHER)
    # Wait until the other star's run is done, so its entries had every chance to leak.
    while (await _journal(api, hidden, star=OTHER))[-1]["kind"] != "execution_completed":
        pass
    shown = await _run(api, "here")
    events = await _events(peer, ENTRIES_PER_RUN)
    assert {decode(e["data"])["execution_id"] for e in events} == {shown}
    # Resuming from before both runs replays this star's only.
    again = Peer(await connect("again"))
    await _subscribe(again, {"kind": "executions", "star": STAR}, since=0)
    replayed = await _events(again, ENTRIES_PER_RUN)
    assert {decode(e["data"])["execution_id"] for e in replayed} == {shown}
    peer.ws.close()
    again.ws.close()


@pytest.mark.parametrize(
    ("topic", "since", "code"),
    [
        ({"kind": "executions", "star": "no.such.star"}, None, "star_not_found"),
        ({"kind": "executions", "star": "BAD"}, None, "invalid_identifier"),
        ({"kind": "executions"}, 99, "invalid_request"),
        ({"kind": "executions", "execution_id": ""}, None, "invalid_request"),
        ({"kind": "workflows"}, None, "invalid_request"),
        ({"kind": "executions", "type": "Task"}, None, "invalid_request"),
    ],
)
async def test_bad_subscriptions_get_typed_errors(
    connect: Connect, topic: dict[str, Any], since: int | None, code: str
) -> None:
    peer = Peer(await connect())
    message: dict[str, Any] = {"type": "subscribe", "id": "x", "topic": topic}
    if since is not None:
        message["since"] = since
    await peer.send(message)
    reply = await peer.receive()
    assert (reply["type"], reply["error"]["code"]) == ("error", code)
    assert "Traceback" not in json.dumps(reply)
    peer.ws.close()


class TestClaims:
    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {"default_claims": {"local.lab.default": "viewer"}}

    async def test_stars_outside_the_claims_are_refused_viewers_may_watch(
        self, connect: Connect
    ) -> None:
        peer = Peer(await connect())
        await peer.send(
            {"type": "subscribe", "id": "x", "topic": {"kind": "executions", "star": OTHER}}
        )
        reply = await peer.receive()
        assert (reply["type"], reply["error"]["code"]) == ("error", "forbidden")
        assert await _subscribe(peer, {"kind": "executions", "star": STAR}) == 0
        peer.ws.close()


class TestTooFarBehind:
    @pytest.fixture
    def nebula_config(self) -> dict[str, Any]:
        return {"max_replay": 2}

    async def test_a_resume_too_far_behind_gets_a_resync_then_live_entries(
        self, connect: Connect, api: Api
    ) -> None:
        run = await _run(api, "long ago")
        while (await _journal(api, run))[-1]["kind"] != "execution_completed":
            pass
        peer = Peer(await connect())
        latest = await _subscribe(peer, {"kind": "executions"}, since=0)
        resync = await peer.receive()
        assert (resync["type"], resync["sub"], resync["seq"]) == ("resync", "runs", latest)
        live_run = await _run(api, "now")
        live = await _events(peer, ENTRIES_PER_RUN)
        assert _entries_of(live) == await _journal(api, live_run)
        peer.ws.close()
