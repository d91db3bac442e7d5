"""The gateway: one WebSocket per client, carrying calls, subscriptions and their events.

The client id travels in the subprotocol list (``nebula.v1``, ``nebula.client.<id>``), never in
the URL. Origin checks and authentication are Jupyter's; each message is then authorized by the
store against the caller's principal and the star it names. Events are produced on the store's
dispatcher thread, encoded there once per change, and handed to the event loop in batches. A
client that stops reading is bounded: past ``max_pending`` undelivered events its
subscriptions get a ``resync`` and are dropped, so memory never grows without bound.
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any

import anyio.to_thread
import pydantic
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from nebula_kernel.errors import InvalidRequest, NebulaError
from nebula_kernel.protocol import (
    PROTOCOL,
    Call,
    Ping,
    Subscribe,
    Unsubscribe,
    client_message,
    decode,
    encode,
)
from nebula_kernel.resources import Change, Resync, Subscription
from nebula_server._engine import Engines
from nebula_server.gateway._calls import call_method
from nebula_server.gateway._frames import EventFrames

__all__ = ["GatewayHandler"]

_CLIENT_ID = re.compile(r"^nebula\.client\.([A-Za-z0-9_-]{1,64})$")
MAX_MESSAGE_BYTES = 4 << 20
FRAMES = EventFrames()


def _json(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


class GatewayHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    auth_resource = "nebula"
    max_pending = 10_000

    client_id: str = ""
    _subs: dict[str, Subscription]
    _pending: deque[str]
    _flush_scheduled: bool
    _loop: IOLoop

    @property
    def engines(self) -> Engines:
        engines: Engines = self.settings["nebula_engines"]
        return engines

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
        return None

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE_BYTES

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self._subs = {}
        self._pending = deque()
        self._flush_scheduled = False
        self._loop = IOLoop.current()

    @property
    def principal(self) -> Any:
        user = self.current_user
        return self.engines.claims.principal(getattr(user, "username", None) or str(user))

    async def on_message(self, message: str | bytes) -> None:
        request_id: str | None = None
        try:
            raw = json.loads(message)
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                request_id = raw["id"]
            parsed = client_message(raw)
            request_id = parsed.id
            if isinstance(parsed, Call):
                value = await anyio.to_thread.run_sync(
                    lambda: call_method(
                        self.engines.store, self.principal, parsed.method, decode(parsed.args)
                    )
                )
                self._write(_json({"type": "result", "id": parsed.id, "value": encode(value)}))
            elif isinstance(parsed, Subscribe):
                self._subscribe(parsed)
            elif isinstance(parsed, Unsubscribe):
                sub = self._subs.pop(parsed.id, None)
                if sub is not None:
                    sub.close()
                self._write(_json({"type": "result", "id": parsed.id, "value": sub is not None}))
            elif isinstance(parsed, Ping):
                self._write(_json({"type": "pong", "id": parsed.id}))
        except ValueError as exc:  # bad JSON or an envelope that does not fit (pydantic)
            self._write_error(request_id, _protocol_error(exc))
        except NebulaError as exc:
            self._write_error(request_id, exc)
        except Exception:
            self.log.exception("nebula gateway: unexpected error handling a message")
            self._write(
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

    def _subscribe(self, request: Subscribe) -> None:
        if request.id in self._subs:
            raise InvalidRequest(f"Subscription id {request.id!r} is in use; unsubscribe first.")
        topic = request.topic
        sub_id = request.id

        def deliver(event: Change | Resync) -> None:  # on the store's dispatcher thread
            if isinstance(event, Resync):
                frame = _json(
                    {"type": "resync", "sub": sub_id, "seq": event.seq, "reason": event.reason}
                )
            else:
                frame = FRAMES.event(sub_id, event.seq, FRAMES.data(event))
            self._loop.add_callback(self._enqueue, sub_id, frame)

        # Subscribing touches no storage (a resume replays on the dispatcher thread), so it runs
        # right here: the reply is written before any event of the subscription can be.
        store, who = self.engines.store, self.principal
        sub = store.subscribe(
            deliver,
            type_name=topic.type,
            id_=topic.id,
            where=topic.where,
            since=request.since,
            star=topic.star,
            principal=who,
        )
        self._subs[sub_id] = sub
        latest = store.last_seq(star=topic.star, principal=who)
        self._write(_json({"type": "result", "id": sub_id, "value": {"seq": latest}}))

    def _enqueue(self, sub_id: str, frame: str) -> None:
        if sub_id not in self._subs:
            return
        if len(self._pending) >= self.max_pending:
            self._drop_slow_consumer()
            return
        self._pending.append(frame)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.add_callback(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._pending:
            self._write(self._pending.popleft())

    def _drop_slow_consumer(self) -> None:
        self._pending.clear()
        for sub_id, sub in list(self._subs.items()):
            sub.close()
            self._write(
                _json(
                    {
                        "type": "resync",
                        "sub": sub_id,
                        "seq": sub.last_seq,
                        "reason": f"the client fell more than {self.max_pending} events behind; "
                        "subscribe again with since=seq to catch up",
                    }
                )
            )
        self._subs.clear()

    def _write(self, frame: str) -> None:
        try:
            self.write_message(frame)
        except WebSocketClosedError:
            self._close_subscriptions()

    def _write_error(self, request_id: str | None, error: NebulaError) -> None:
        self._write(_json({"type": "error", "id": request_id, "error": error.to_dict()}))

    def _close_subscriptions(self) -> None:
        subs = getattr(self, "_subs", {})
        for sub in subs.values():
            sub.close()
        subs.clear()

    def on_close(self) -> None:
        self._close_subscriptions()


def _protocol_error(exc: ValueError) -> NebulaError:
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<message>'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)[:5]
        )
        return InvalidRequest(f"The message does not fit the protocol: {problems}.")
    return InvalidRequest("The message is not valid JSON; send one JSON envelope per frame.")
