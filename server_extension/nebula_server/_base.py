"""The base of every Nebula REST handler: authentication, authorization, JSON in and out.

Every method of every handler is wrapped by ``@tornado.web.authenticated`` and Jupyter's
``@authorized`` (its authorizer decides on the ``nebula`` resource), and every call into the
engines passes the caller's :class:`~nebula_kernel.auth.Principal`, which the store checks
against the star before touching data. Errors leave as typed JSON: ``{"error": {code, message,
details}}``, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import anyio.to_thread
import pydantic
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from nebula_kernel.auth import Principal
from nebula_kernel.errors import InvalidRequest, NebulaError
from nebula_kernel.workflows import WorkflowService
from nebula_server._engine import Engines
from nebula_server._errors import status_for

__all__ = ["NebulaHandler"]

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

MAX_BODY_BYTES = 8 << 20


class NebulaHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = "nebula"
    # Errors answered 422 (a document that parsed as JSON but cannot be used, such as a workflow
    # file with problems) rather than their usual status.
    unprocessable: ClassVar[tuple[type[NebulaError], ...]] = ()

    @property
    def engines(self) -> Engines:
        engines: Engines = self.settings["nebula_engines"]
        return engines

    @property
    def workflows(self) -> WorkflowService:
        return self.engines.workflows

    def _status_for(self, error: NebulaError) -> int:
        return 422 if isinstance(error, self.unprocessable) else status_for(error)

    @property
    def principal(self) -> Principal:
        return self.engines.claims.principal_of(self.current_user)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking engine call off the event loop."""
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))

    def body(self, model: type[M]) -> M:
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequest(f"The request body is over {MAX_BODY_BYTES} bytes.")
        try:
            data = json.loads(raw or b"null")
        except ValueError as exc:
            raise InvalidRequest(
                f"The request body is not valid JSON (line {getattr(exc, 'lineno', '?')}, column "
                f"{getattr(exc, 'colno', '?')}). Send a JSON document.",
            ) from None
        except RecursionError:
            raise InvalidRequest(
                "The request body is nested too deeply to read; flatten the document."
            ) from None
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as exc:
            problems = [
                {"location": ".".join(str(p) for p in e["loc"]) or "<body>", "message": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            listed = "; ".join(f"{p['location']}: {p['message']}" for p in problems[:5])
            raise InvalidRequest(
                f"The request body does not fit: {listed}.", problems=problems
            ) from None

    def reply(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        self.set_header("Content-Type", "application/json")
        if isinstance(error, NebulaError):
            self.set_status(self._status_for(error))
            body = error.to_dict()
        elif isinstance(error, HTTPError):
            body = {
                "code": "http_error",
                "message": error.log_message or self._reason,
                "details": {},
            }
        else:
            # Unexpected: the details go to the server log, never to the client.
            body = {
                "code": "internal_error",
                "message": "Nebula hit an unexpected error; the server log has the details.",
                "details": {},
            }
        self.finish(json.dumps({"error": body}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, NebulaError):
            self.log.info("nebula %s: %s", value.code, value.message)
        else:
            super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], NebulaError):
            status_code = self._status_for(exc_info[1])
        super().send_error(status_code, **kwargs)
