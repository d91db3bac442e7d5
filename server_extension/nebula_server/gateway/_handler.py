"""The gateway: one WebSocket per client, carrying calls, subscriptions and their events.

The client id travels in the subprotocol list (``nebula.v1``, ``nebula.client.<id>``), never in
the URL. Origin checks and authentication are Jupyter's; each message is then authorized by the
store against the caller's principal and the star it names. Subscriptions are served by the
server's :class:`GatewayHub` (resources) and :class:`ExecutionHub` (workflow journals). A client
that stops reading is bounded: once its unsent frames pass ``max_buffer_bytes`` the socket is
closed with a reason, and the client resumes with the last sequence it saw, so memory never
grows without bound.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import pydantic
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.ioloop import IOLoop
from tornado.iostream import SSLIOStream, StreamBufferFullError, StreamClosedError
from tornado.websocket import WebSocketHandler

from nebula_kernel.auth import Principal
from nebula_kernel.errors import InvalidRequest, NebulaError
from nebula_kernel.protocol import (
    PROTOCOL,
    Call,
    ExecutionTopic,
    InvokeError,
    InvokeResult,
    Ping,
    Subscribe,
    Unsubscribe,
    client_message,
    decode,
    encode,
)
from nebula_server._engine import Engines
from nebula_server.gateway._actors import ActorHub
from nebula_server.gateway._calls import call_method
from nebula_server.gateway._executions import ExecutionHub
from nebula_server.gateway._frames import text_frame
from nebula_server.gateway._hub import GatewayHub

__all__ = ["GatewayHandler"]

_CLIENT_ID = re.compile(r"^nebula\.client\.([A-Za-z0-9_-]{1,64})$")
MAX_MESSAGE_BYTES = 4 << 20


def _json(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


class GatewayHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = "nebula"
    max_buffer_bytes = 32 << 20

    client_id: str = ""

    @property
    def engines(self) -> Engines:
        engines: Engines = self.settings["nebula_engines"]
        return engines

    @property
    def hub(self) -> GatewayHub:
        hub: GatewayHub | None = self.settings.get("nebula_gateway_hub")
        if hub is None:
            hub = self.settings["nebula_gateway_hub"] = GatewayHub(
                self.engines.store, IOLoop.current()
            )
        return hub

    @property
    def execution_hub(self) -> ExecutionHub:
        hub: ExecutionHub | None = self.settings.get("nebula_execution_hub")
        if hub is None:
            engines = self.engines
            hub = self.settings["nebula_execution_hub"] = ExecutionHub(
                engines.workflows, IOLoop.current(), engines.store.limits.max_replay
            )
        return hub

    @property
    def actor_hub(self) -> ActorHub:
        hub: ActorHub | None = self.settings.get("nebula_actor_hub")
        if hub is None:
            engines = self.engines
            hub = self.settings["nebula_actor_hub"] = ActorHub(
                engines.workflows.actors, engines.store
            )
        return hub

    def _unsubscribe(self, sub_id: str | None = None) -> bool:
        """End one subscription of this socket (or all), whichever hub serves it."""
        ended = False
        for key in ("nebula_gateway_hub", "nebula_execution_hub"):
            hub: GatewayHub | ExecutionHub | None = self.settings.get(key)
            if hub is not None:
                ended = hub.unsubscribe(self, sub_id) or ended
        return ended

    def _subscription_ids(self) -> set[str]:
        return set(self.hub.subscriptions(self)) | set(self.execution_hub.subscriptions(self))

    @property
    def principal(self) -> Principal:
        return self.engines.claims.principal_of(self.current_user)

    def _requested_protocols(self) -> list[str]:
        header = self.request.headers.get("Sec-WebSocket-Protocol", "")
        return [p.strip() for p in header.split(",") if p.strip()]

    async def pre_get(self) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", self.auth_resource)
        )
        if not authorized:
            raise web.HTTPError(403)
        protocols = self._requested_protocols()
        ids = [m[1] for p in protocols if (m := _CLIENT_ID.match(p))]
        if PROTOCOL not in protocols or len(ids) != 1:
            raise web.HTTPError(
                400, f"Offer the subprotocols '{PROTOCOL}' and 'nebula.client.<id>' (one id)."
            )
        self.client_id = ids[0]

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await self.pre_get()
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return PROTOCOL if PROTOCOL in subprotocols else None

    def get_compression_options(self) -> dict[str, Any] | None:
        return None  # frames are written pre-built (send_frames), which compression would break

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE_BYTES

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        stream = self.ws_connection.stream if self.ws_connection is not None else None
        if stream is not None:
            stream.max_write_buffer_size = self.max_buffer_bytes

    def send_frames(self, frames: Sequence[str | bytes]) -> None:
        """Write text messages (or frames already built). Fan-out calls this for every socket,
        so it skips tornado's per-message task and writes all the frames at once."""
        connection = self.ws_connection
        if connection is None or connection.is_closing() or connection.stream is None:
            return
        stream = connection.stream
        data = b"".join(f if isinstance(f, bytes) else text_frame(f) for f in frames)
        try:
            if not stream.writing() and not isinstance(stream, SSLIOStream):
                # Nothing is queued ahead of these bytes, so the socket may take them now:
                # this spares the stream's future and callback per write, most of what a
                # fan-out costs per socket. What the socket does not take is queued as usual.
                with contextlib.suppress(BlockingIOError):
                    data = data[stream.socket.send(data) :]
            if data:
                stream.write(data)
        except StreamBufferFullError:
            self._unsubscribe()
            self.close(1008, "too slow: reconnect and resume from the last sequence you saw")
        except (StreamClosedError, OSError):
            self._unsubscribe()

    async def on_message(self, message: str | bytes) -> None:
        request_id: str | None = None
        try:
            raw = json.loads(message)
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                request_id = raw["id"]
            parsed = client_message(raw)
            request_id = parsed.id
            if isinstance(parsed, Call) and parsed.target == "actors":
                value = self.actor_hub.call(self, self.principal, parsed.method, parsed.args)
                self._reply(_json({"type": "result", "id": parsed.id, "value": encode(value)}))
            elif isinstance(parsed, (InvokeResult, InvokeError)):
                self.actor_hub.settle(self, parsed)
            elif isinstance(parsed, Call):
                store, who = self.engines.store, self.principal
                value = await anyio.to_thread.run_sync(
                    lambda: call_method(store, who, parsed.method, decode(parsed.args))
                )
                self._reply(_json({"type": "result", "id": parsed.id, "value": encode(value)}))
            elif isinstance(parsed, Subscribe):
                if parsed.id in self._subscription_ids():
                    raise InvalidRequest(
                        f"Subscription id {parsed.id!r} is in use; unsubscribe first."
                    )
                topic, who, since = parsed.topic, self.principal, parsed.since
                if isinstance(topic, ExecutionTopic):
                    subscribed = self.execution_hub.subscribe(self, parsed.id, topic, who, since)
                else:
                    subscribed = self.hub.subscribe(self, parsed.id, topic, who, since)
                latest, catch_up = subscribed
                # Answer first: the subscription's events (held back while it catches up) follow.
                self._reply(_json({"type": "result", "id": parsed.id, "value": {"seq": latest}}))
                if catch_up is not None:
                    await catch_up()
            elif isinstance(parsed, Unsubscribe):
                ended = self._unsubscribe(parsed.id)
                self._reply(_json({"type": "result", "id": parsed.id, "value": ended}))
            elif isinstance(parsed, Ping):
                self._reply(_json({"type": "pong", "id": parsed.id}))
        except ValueError as exc:  # bad JSON or an envelope that does not fit (pydantic)
            self._reply_error(request_id, _protocol_error(exc))
        except RecursionError:
            self._reply_error(
                request_id, InvalidRequest("The message is nested too deeply to read; flatten it.")
            )
        except NebulaError as exc:
            self._reply_error(request_id, exc)
        except Exception:
            self.log.exception("nebula gateway: unexpected error handling a message")
            self._reply(
                _json(
                    {
                        "type": "error",
                        "id": request_id,
                        "error": {
                            "code": "internal_error",
                            "message": "Unexpected error; see the server log.",
                            "details": {},
                        },
                    }
                )
            )

    def _reply(self, frame: str) -> None:
        # The same path as events: one order on the wire, one bound on what waits to be sent.
        self.send_frames([frame])

    def _reply_error(self, request_id: str | None, error: NebulaError) -> None:
        self._reply(_json({"type": "error", "id": request_id, "error": error.to_dict()}))

    def on_close(self) -> None:
        self._unsubscribe()
        actors: ActorHub | None = self.settings.get("nebula_actor_hub")
        if actors is not None:
            actors.drop(self)


def _protocol_error(exc: ValueError) -> NebulaError:
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<message>'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)[:5]
        )
        return InvalidRequest(f"The message does not fit the protocol: {problems}.")
    return InvalidRequest("The message is not valid JSON; send one JSON envelope per frame.")
