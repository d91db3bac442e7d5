"""A test client for the gateway WebSocket: sends envelopes, reads typed replies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tornado.websocket import WebSocketClientConnection

__all__ = ["Connect", "Peer"]

Connect = Callable[..., Awaitable[WebSocketClientConnection]]


class Peer:
    """A test client that sends envelopes and reads typed replies."""

    def __init__(self, ws: WebSocketClientConnection) -> None:
        self.ws = ws
        self._n = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.write_message(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        raw = await self.ws.read_message()
        assert isinstance(raw, str), "the socket closed"
        message: dict[str, Any] = json.loads(raw)
        return message

    async def call(self, method: str, **args: Any) -> dict[str, Any]:
        self._n += 1
        request_id = f"r{self._n}"
        await self.send(
            {
                "type": "call",
                "id": request_id,
                "target": "resources",
                "method": method,
                "args": args,
            }
        )
        reply = await self.receive()
        assert reply["id"] == request_id, reply
        return reply
