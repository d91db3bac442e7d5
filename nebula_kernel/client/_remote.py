"""The resources store of a Jupyter server, with the same API as the embedded one.

Calls go over the server's REST API (httpx); subscriptions over its live gateway (one WebSocket
per subscription, read by a background thread that calls the callback). Errors come back as the
same typed exceptions. The server decides who the caller is from the token, so ``principal=`` is
not accepted here; migrations and guards are code and run where the store runs.
"""

from __future__ import annotations

import builtins
import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pydantic

from nebula_kernel._loop import on_callers_loop
from nebula_kernel.auth import Principal
from nebula_kernel.client._errors import error_from_payload
from nebula_kernel.errors import InvalidRequest, NebulaError, StoreClosed, StoreError
from nebula_kernel.protocol import PROTOCOL, decode
from nebula_kernel.resources import (
    MUST_NOT_EXIST,
    Change,
    ETagPrecondition,
    FieldChange,
    Put,
    Resource,
    ResourceDiff,
    Resync,
    StoreLimits,
    Transaction,
    WriteOp,
)
from nebula_kernel.resources._event_queue import EventQueue
from nebula_kernel.resources._model import MustNotExist

if TYPE_CHECKING:
    from nebula_kernel.client._lookback import RemoteLookback
    from nebula_kernel.client._workflows import Workflows

__all__ = ["RemoteChangeStream", "RemoteResourceStore", "RemoteSubscription", "reject_principal"]

Event = Change | Resync

_log = logging.getLogger("nebula.client")
# Reconnection backoff of a live subscription: doubling from the first delay up to the cap.
_RECONNECT_FIRST_S = 0.1
_RECONNECT_MAX_S = 5.0


def _resource(data: Mapping[str, Any]) -> Resource:
    def when(value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    return Resource(
        star=data["star"],
        type=data["type"],
        id=data["id"],
        value=data["value"],
        etag=data["etag"],
        snapshot_number=data["snapshot_number"],
        valid_from=when(data["valid_from"]),
        valid_to=when(data["valid_to"]),
        previous_values=data["previous_values"],
        changed_by=data["changed_by"],
        schema_version=data["schema_version"],
    )


def reject_principal(principal: Principal | None) -> None:
    if principal is not None:
        raise InvalidRequest(
            "A remote store acts as the user its token belongs to; principal= is only for an "
            "embedded store."
        )


def _segment(text: str) -> str:
    return quote(text, safe="")


class RemoteResourceStore:
    """A Jupyter server's Nebula store, used like :class:`~nebula_kernel.ResourceStore`."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        default_star: str | None = None,
        timeout: float = 30.0,
        stream_buffer: int = StoreLimits().stream_buffer,
    ) -> None:
        import httpx

        self.url = url.rstrip("/") + "/"
        self._token = token
        self._http = httpx.Client(
            base_url=self.url + "nebula/api/v1/",
            headers={"Authorization": f"token {token}"},
            timeout=timeout,
        )
        self._closed = False
        self._stream_buffer = stream_buffer
        self._subscriptions: list[RemoteSubscription] = []
        self._workflows: Workflows | None = None
        stars = self._request("GET", "stars")
        self.default_star: str = default_star or stars["default"]

    # -- plumbing -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        import httpx

        if self._closed:
            raise StoreClosed("This remote store is closed; connect again.")
        try:
            response = self._http.request(
                method,
                path,
                content=None if body is None else json.dumps(body),
                headers=headers,
                params=params,
            )
        except httpx.HTTPError as exc:
            raise StoreError(
                f"Could not reach the Nebula server at {self.url} ({type(exc).__name__}); check "
                "that it is running.",
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.is_success:
            return payload
        if isinstance(payload, dict) and "error" in payload:
            raise error_from_payload(payload["error"], response.status_code)
        raise StoreError(f"The Nebula server answered {response.status_code} to {method} {path}.")

    def _star(self, star: str | None) -> str:
        return _segment(star or self.default_star)

    def close(self) -> None:
        if self._workflows is not None:
            self._workflows.close()  # its actor socket
        for sub in list(self._subscriptions):
            sub.close()
        self._closed = True
        self._http.close()

    def __enter__(self) -> RemoteResourceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stars and types ------------------------------------------------------------------------

    def stars(self, *, principal: Principal | None = None) -> builtins.list[str]:
        reject_principal(principal)
        found: builtins.list[str] = self._request("GET", "stars")["stars"]
        return found

    def create_star(self, star: str, *, principal: Principal | None = None) -> str:
        reject_principal(principal)
        created: str = self._request("POST", "stars", body={"star": star})["star"]
        return created

    def define_type(
        self,
        name: str,
        model: type[pydantic.BaseModel] | None = None,
        *,
        json_schema: Mapping[str, Any] | None = None,
        version: int = 1,
        migrate: Any = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> dict[str, Any]:
        reject_principal(principal)
        if migrate is not None:
            raise InvalidRequest(
                "Migrations are code and run where the store runs: define versions with a "
                "migration in the server's process (or use an embedded store)."
            )
        if (model is None) == (json_schema is None):
            raise InvalidRequest("Pass exactly one of model= or json_schema=.")
        schema = model.model_json_schema() if model is not None else dict(json_schema or {})
        defined: dict[str, Any] = self._request(
            "PUT",
            f"stars/{self._star(star)}/types/{_segment(name)}",
            body={"json_schema": schema, "version": version},
        )
        return defined

    def types(
        self, *, star: str | None = None, principal: Principal | None = None
    ) -> builtins.list[str]:
        reject_principal(principal)
        found = self._request("GET", f"stars/{self._star(star)}/types")["types"]
        return [t["name"] for t in found]

    def last_seq(self, *, star: str | None = None, principal: Principal | None = None) -> int:
        reject_principal(principal)
        with self._socket() as socket:
            reply = socket.call("last_seq", {"star": star or self.default_star})
        return int(reply)

    # -- writes ---------------------------------------------------------------------------------

    def _path(self, star: str | None, type_name: str, id_: str) -> str:
        return f"stars/{self._star(star)}/resources/{_segment(type_name)}/{_segment(id_)}"

    def put(
        self,
        type_name: str,
        id_: str,
        value: Mapping[str, Any] | pydantic.BaseModel,
        *,
        etag: ETagPrecondition = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        reject_principal(principal)
        plain = value.model_dump(mode="json") if isinstance(value, pydantic.BaseModel) else value
        headers = {}
        if isinstance(etag, MustNotExist):
            headers["If-None-Match"] = "*"
        elif etag is not None:
            headers["If-Match"] = f'"{etag}"'
        return _resource(
            self._request("PUT", self._path(star, type_name, id_), body=plain, headers=headers)
        )

    def delete(
        self,
        type_name: str,
        id_: str,
        *,
        etag: ETagPrecondition = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        reject_principal(principal)
        headers = {} if etag is None or isinstance(etag, MustNotExist) else {"If-Match": etag}
        return _resource(self._request("DELETE", self._path(star, type_name, id_), headers=headers))

    def commit(
        self, ops: Sequence[WriteOp], *, star: str | None = None, principal: Principal | None = None
    ) -> builtins.list[Resource]:
        reject_principal(principal)
        if not ops:
            return []
        body = []
        for op in ops:
            item: dict[str, Any] = {
                "op": "put" if isinstance(op, Put) else "delete",
                "type": op.type,
                "id": op.id,
            }
            if isinstance(op, Put):
                item["value"] = dict(op.value)
            if op.etag is MUST_NOT_EXIST:
                item["must_not_exist"] = True
            elif isinstance(op.etag, str):
                item["etag"] = op.etag
            body.append(item)
        results = self._request(
            "POST", f"stars/{self._star(star)}/transactions", body={"ops": body}
        )["results"]
        return [_resource(r) for r in results]

    @contextmanager
    def transaction(
        self, *, star: str | None = None, principal: Principal | None = None
    ) -> Iterator[Transaction]:
        tx = Transaction()
        yield tx
        tx.results = self.commit(tx.ops, star=star, principal=principal)

    # -- reads ----------------------------------------------------------------------------------

    def get(
        self,
        type_name: str,
        id_: str,
        *,
        as_of: datetime | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        reject_principal(principal)
        params = {} if as_of is None else {"as_of": as_of.isoformat()}
        return _resource(self._request("GET", self._path(star, type_name, id_), params=params))

    def list(
        self,
        type_name: str | None = None,
        *,
        after: str | None = None,
        limit: int = 1000,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> builtins.list[Resource]:
        reject_principal(principal)
        if type_name is None:
            return [
                r
                for name in self.types(star=star)
                for r in self.list(name, after=after, limit=limit, star=star)
            ][:limit]
        params = {"limit": str(limit), **({"after": after} if after else {})}
        found = self._request(
            "GET", f"stars/{self._star(star)}/resources/{_segment(type_name)}", params=params
        )["resources"]
        return [_resource(r) for r in found]

    def history(
        self,
        type_name: str,
        id_: str,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> builtins.list[Resource]:
        reject_principal(principal)
        found = self._request("GET", self._path(star, type_name, id_) + "/history")
        return [_resource(r) for r in found["snapshots"]]

    def diff(
        self,
        type_name: str,
        id_: str,
        start: datetime,
        end: datetime,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ResourceDiff:
        reject_principal(principal)
        found = self._request(
            "GET",
            self._path(star, type_name, id_) + "/diff",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
        return ResourceDiff(
            _resource(found["before"]) if found["before"] else None,
            _resource(found["after"]) if found["after"] else None,
            tuple(
                FieldChange(tuple(c["path"]), c["old"], c["new"], c["kind"])
                for c in found["changes"]
            ),
        )

    @property
    def lookback(self) -> RemoteLookback:
        """History queries and aggregations, run by the server's DuckDB."""
        from nebula_kernel.client._lookback import RemoteLookback

        return RemoteLookback(
            lambda kind, star, spec: self._request(
                "POST", f"stars/{self._star(star)}/lookback/{kind}", body=spec
            )
        )

    @property
    def workflows(self) -> Workflows:
        """Workflows run by the server, in this store's default star, as the token's user."""
        if self._workflows is None:
            from nebula_kernel.client._workflows import Workflows
            from nebula_kernel.client._workflows_remote import RemoteBackend

            self._workflows = Workflows(RemoteBackend(self))
        return self._workflows

    # -- subscriptions --------------------------------------------------------------------------

    def _socket(self) -> _Socket:
        return _Socket(self.url, self._token)

    def subscribe(
        self,
        callback: Callable[[Event], Any],
        *,
        type_name: str | None = None,
        id_: str | None = None,
        where: Mapping[str, Any] | Callable[[Change], bool] | None = None,
        since: int | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> RemoteSubscription:
        """Like the embedded ``subscribe`` (the callback runs on the caller's event loop if it
        has one, else on a background thread). A callable ``where`` is applied here; a filter
        document is applied by the server."""
        reject_principal(principal)
        topic, local = self._topic(type_name, id_, where, star)
        return self._subscribe(topic, since, on_callers_loop(callback), local)

    def _subscribe(
        self,
        topic: dict[str, Any],
        since: int | None,
        callback: Callable[[Event], Any],
        local: Callable[[Change], bool] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> RemoteSubscription:
        sub = RemoteSubscription(self, topic, since, callback, local, on_end)
        self._subscriptions.append(sub)
        return sub

    def changes(
        self,
        *,
        type_name: str | None = None,
        id_: str | None = None,
        where: Mapping[str, Any] | Callable[[Change], bool] | None = None,
        since: int | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> RemoteChangeStream:
        """An async iterator of changes: ``async with store.changes() as stream: ...``."""
        reject_principal(principal)
        topic, local = self._topic(type_name, id_, where, star)
        events = EventQueue(str(topic["star"]), self._stream_buffer)
        sub = self._subscribe(topic, since, events.put, local, on_end=events.finish)
        return RemoteChangeStream(sub, events)

    def _topic(
        self,
        type_name: str | None,
        id_: str | None,
        where: Mapping[str, Any] | Callable[[Change], bool] | None,
        star: str | None,
    ) -> tuple[dict[str, Any], Callable[[Change], bool] | None]:
        """The gateway topic, and the filter applied here (a callable ``where``)."""
        topic: dict[str, Any] = {"star": star or self.default_star, "type": type_name, "id": id_}
        if callable(where):
            return topic, where
        if where is not None:
            topic["where"] = dict(where)
        return topic, None

    def _forget(self, sub: RemoteSubscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)


class _Socket:
    """One gateway WebSocket (synchronous; used from one thread at a time)."""

    def __init__(self, url: str, token: str) -> None:
        import websocket

        ws_url = "ws" + url[len("http") :] + "nebula/api/v1/live"
        try:
            self.ws = websocket.create_connection(
                ws_url,
                subprotocols=[PROTOCOL, f"nebula.client.{uuid.uuid4().hex}"],
                header=[f"Authorization: token {token}"],
                timeout=30,
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise StoreError(
                f"Could not open the live connection to {url} ({type(exc).__name__})."
            ) from None
        self._n = 0

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def receive(self) -> dict[str, Any] | None:
        import websocket

        try:
            raw = self.ws.recv()
        except (OSError, websocket.WebSocketException):
            return None
        if not raw:
            return None
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, args: dict[str, Any]) -> Any:
        self._n += 1
        request_id = f"c{self._n}"
        self.send(
            {
                "type": "call",
                "id": request_id,
                "target": "resources",
                "method": method,
                "args": args,
            }
        )
        reply = self.receive()
        if reply is None:
            raise StoreError("The live connection closed before the answer came.")
        if reply.get("type") == "error":
            raise error_from_payload(reply.get("error"), 0)
        return decode(reply.get("value"))

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> _Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteSubscription:
    """A subscription on a server; ``close()`` ends it. ``last_seq`` is the last delivered.

    If the connection drops, it reconnects with backoff and resumes from ``last_seq``, so the
    callback sees every change once and in order (or a :class:`Resync` when the server no
    longer holds what was missed), as the embedded store's subscriptions do.
    """

    def __init__(
        self,
        owner: RemoteResourceStore,
        topic: dict[str, Any],
        since: int | None,
        callback: Callable[[Event], Any],
        local: Callable[[Change], bool] | None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self._owner = owner
        self._topic = topic
        self._callback = callback
        self._local = local
        self._on_end = on_end
        self.closed = False
        self._stop = threading.Event()
        self._socket, head = self._open(since)
        self.last_seq = head if since is None else since
        self._thread = threading.Thread(target=self._run, name="nebula-remote-sub", daemon=True)
        self._thread.start()

    def _open(self, since: int | None) -> tuple[_Socket, int]:
        """A socket subscribed to the topic, and the star's latest sequence then."""
        socket = self._owner._socket()
        socket.send({"type": "subscribe", "id": "s", "topic": self._topic, "since": since})
        reply = socket.receive()
        if reply is None or reply.get("type") == "error":
            socket.close()
            raise (
                error_from_payload(reply.get("error"), 0)
                if reply
                else StoreError("The live connection closed while subscribing.")
            )
        return socket, int(decode(reply.get("value") or {}).get("seq", 0))

    def _reconnect(self) -> bool:
        """Resubscribe from ``last_seq`` until it works or the subscription is closed."""
        delay = _RECONNECT_FIRST_S
        while not self._stop.wait(delay * random.uniform(0.5, 1.0)):
            try:
                self._socket, _ = self._open(self.last_seq)
            except NebulaError as exc:
                _log.warning("live connection lost; retrying in %.1fs (%s)", delay, exc)
                delay = min(delay * 2, _RECONNECT_MAX_S)
            else:
                return True
        return False

    def _run(self) -> None:
        try:
            while not self.closed:
                message = self._socket.receive()
                if message is None:
                    if self.closed or not self._reconnect():
                        break
                    continue
                self._handle(message)
        finally:
            if self._on_end is not None:
                self._on_end()

    def _handle(self, message: dict[str, Any]) -> None:
        """Deliver one gateway message (a subclass reads another topic's events)."""
        event = self._event(message)
        if event is None:
            return
        self.last_seq = event.seq
        if isinstance(event, Change) and self._local and not self._local(event):
            return
        try:
            self._callback(event)
        except Exception:  # a subscriber's bug must not end its subscription
            _log.exception("subscription callback raised")

    @staticmethod
    def _event(message: dict[str, Any]) -> Event | None:
        if message.get("type") == "resync":
            return Resync(
                str(message.get("star", "")), int(message["seq"]), str(message.get("reason", ""))
            )
        if message.get("type") != "event":
            return None
        data = decode(message["data"])
        resource = _resource(data["resource"])
        return Change(
            resource.star,
            int(message["seq"]),
            data["op"],
            data["type"],
            data["id"],
            resource,
            data["at"],
            data["changed_by"],
        )

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stop.set()
            self._socket.close()
            self._owner._forget(self)

    def __enter__(self) -> RemoteSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteChangeStream:
    """``async with store.changes() as stream: async for event in stream`` over the gateway;
    bounded like the embedded stream (a consumer that falls behind gets a :class:`Resync`)."""

    def __init__(self, subscription: RemoteSubscription, events: EventQueue) -> None:
        self._subscription = subscription
        self._events = events

    @property
    def last_seq(self) -> int:
        return self._subscription.last_seq

    @property
    def closed(self) -> bool:
        return self._subscription.closed

    def close(self) -> None:
        self._subscription.close()
        self._events.finish()

    def __aiter__(self) -> RemoteChangeStream:
        return self

    async def __anext__(self) -> Event:
        return await self._events.get()

    async def __aenter__(self) -> RemoteChangeStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
