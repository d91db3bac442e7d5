"""A remote store's actor connection: one gateway socket serving this kernel's actions.

Opened with the first registration. A background thread reads the socket: it settles the
answers to ``register``/``unregister`` calls and serves each ``invoke`` (synchronous functions
run on that thread, async ones on a private event loop of its own), answering with
``invoke_result`` or ``invoke_error``. If the connection drops it reconnects with backoff and
registers every action again; the server fails the attempts it was serving meanwhile with a
retryable error.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import pydantic

from nebula_kernel.client._errors import error_from_payload
from nebula_kernel.client._workflows_actors import LocalAction, failure_of, output_of
from nebula_kernel.errors import NebulaError, StoreError
from nebula_kernel.protocol import Invoke, InvokeError, InvokeResult, decode, encode

if TYPE_CHECKING:
    from nebula_kernel.client._remote import RemoteResourceStore, _Socket

__all__ = ["RemoteActors"]

_log = logging.getLogger("nebula.client")
_CALL_TIMEOUT_S = 30.0
_RECONNECT_FIRST_S = 0.1
_RECONNECT_MAX_S = 5.0


class RemoteActors:
    """The actions this kernel provides to a server, over one socket of their own."""

    def __init__(self, store: RemoteResourceStore) -> None:
        self._store = store
        self._actions: dict[tuple[str, str], LocalAction] = {}
        self._replies: dict[str, Future[Any]] = {}
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._socket: _Socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # for async functions, made on need

    def provide(self, action: LocalAction) -> None:
        """Register ``action`` (replacing this kernel's earlier function of the same key);
        raises what the server answered (``Forbidden`` for a viewer, ``InvalidRequest`` for a
        built-in's name)."""
        if self._socket is None:
            self._socket = self._open()
            self._thread = threading.Thread(target=self._run, name="nebula-actors", daemon=True)
            self._thread.start()
        self._call("register", action).result(_CALL_TIMEOUT_S)
        self._actions[(action.name, action.version)] = action

    def withdraw(self, action: LocalAction) -> None:
        key = (action.name, action.version)
        if self._actions.get(key) is not action:
            return  # replaced by a later registration, which stays
        del self._actions[key]
        # Disconnected: the server dropped the registration already.
        with contextlib.suppress(NebulaError):
            self._call("unregister", action).result(_CALL_TIMEOUT_S)

    def _open(self) -> _Socket:
        socket = self._store._socket()
        socket.ws.settimeout(None)  # an idle actor waits for invocations indefinitely
        return socket

    def _call(self, method: str, action: LocalAction) -> Future[Any]:
        request_id = f"a{next(self._ids)}"
        reply: Future[Any] = Future()
        self._replies[request_id] = reply
        args = {"star": self._store.default_star, **action.record()}
        message = {"type": "call", "id": request_id, "target": "actors", "method": method}
        if not self._send({**message, "args": args}):
            self._replies.pop(request_id, None)
            reply.set_exception(StoreError("The live connection is down; try again shortly."))
        return reply

    def _send(self, message: dict[str, Any]) -> bool:
        """Whether the message was written (``False``: the connection is down)."""
        import websocket

        socket = self._socket
        if socket is None:
            return False
        try:
            with self._send_lock:
                socket.send(message)
        except (OSError, websocket.WebSocketException):
            return False
        return True

    # -- the reader thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                socket = self._socket
                message = socket.receive() if socket is not None else None
                if message is None:
                    self._fail_replies()
                    if self._stop.is_set() or not self._reconnect():
                        break
                    continue
                self._handle(message)
        finally:
            if self._loop is not None:
                self._loop.close()

    def _fail_replies(self) -> None:
        replies, self._replies = self._replies, {}
        for reply in replies.values():
            if not reply.done():
                reply.set_exception(StoreError("The live connection closed before the answer."))

    def _reconnect(self) -> bool:
        """Open a new socket and register every action again, until it works or closes."""
        delay = _RECONNECT_FIRST_S
        while not self._stop.wait(delay * random.uniform(0.5, 1.0)):
            try:
                socket = self._open()
            except NebulaError as exc:
                _log.warning("actor connection lost; retrying in %.1fs (%s)", delay, exc)
                delay = min(delay * 2, _RECONNECT_MAX_S)
                continue
            if self._stop.is_set():  # closed while connecting
                socket.close()
                return False
            self._socket = socket
            for action in list(self._actions.values()):
                self._call("register", action).add_done_callback(_log_refusal)
            return True
        return False

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "invoke":
            try:
                invoke = Invoke.model_validate(message)
            except pydantic.ValidationError:  # a server of another version: nothing to answer
                _log.warning("ignoring a malformed invoke message from the server")
                return
            self._serve(invoke)
            return
        reply = self._replies.pop(str(message.get("id")), None)
        if reply is None:
            return
        if kind == "error":
            reply.set_exception(error_from_payload(message.get("error"), 0))
        else:
            reply.set_result(decode(message.get("value")))

    def _serve(self, invoke: Invoke) -> None:
        action = self._actions.get((invoke.action, invoke.version))
        answer: InvokeResult | InvokeError
        try:
            if action is None:
                raise StoreError(f"This kernel no longer provides action {invoke.action!r}.")
            argument = action.argument(decode(invoke.input))
            if action.is_async:
                out = self._private_loop().run_until_complete(action.fn(argument))
            else:
                out = action.fn(argument)
            answer = InvokeResult(id=invoke.id, value=encode(output_of(out)))
        except Exception as exc:
            answer = InvokeError(id=invoke.id, error=failure_of(exc))
        self._send(answer.model_dump())

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop

    def close(self) -> None:
        self._stop.set()
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=_CALL_TIMEOUT_S)


def _log_refusal(reply: Future[Any]) -> None:
    error = reply.exception()
    if error is not None:
        _log.warning("the server refused to register an action again: %s", error)
