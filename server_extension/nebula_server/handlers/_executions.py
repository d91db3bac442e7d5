"""Executions of a star: start, list, inspect (state, plan, nodes, journal), cancel, resume.

The workflow service checks the caller's role on the star for every call (viewer reads, editor
starts, cancels and resumes) and answers an execution of another star as not found.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_kernel.errors import InvalidDefinition, InvalidRequest
from nebula_kernel.workflows import entry_json
from nebula_server._base import NebulaHandler
from nebula_server._workflow_models import StartExecutionIn
from nebula_server.handlers._workflow_files import read_workflow_file

__all__ = [
    "CancelHandler",
    "ExecutionHandler",
    "ExecutionsHandler",
    "JournalHandler",
    "ResumeHandler",
]


def _int_argument(name: str, text: str) -> int:
    if not text.isdigit():
        raise InvalidRequest(f"{name} must be a non-negative integer.")
    return int(text)


class ExecutionsHandler(NebulaHandler):
    unprocessable = (InvalidDefinition,)

    @authenticated
    @authorized
    async def get(self, star: str) -> None:
        found = await self.call(
            self.workflows.executions,
            star=star,
            principal=self.principal,
            status=self.get_query_argument("status", None) or None,
            workflow_id=self.get_query_argument("workflow_id", None) or None,
            limit=_int_argument("limit", self.get_query_argument("limit", "100")),
        )
        self.reply({"executions": [e.to_json() for e in found]})

    @authenticated
    @authorized
    async def post(self, star: str) -> None:
        body = self.body(StartExecutionIn)
        # Refuse a caller who may not start runs here before reading any file for them.
        await self.call(self.workflows.editable_star, star, self.principal)
        if body.path is not None:
            source, format = await read_workflow_file(self, body.path)
        else:
            assert body.source is not None  # the model requires one of the two
            source, format = body.source, body.format
        started = await self.workflows.start(
            source,
            body.input,
            format=format,
            star=star,
            principal=self.principal,
            execution_id=body.execution_id,
        )
        self.reply({"execution": started.to_json()}, status=201)


class ExecutionHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str, id_: str) -> None:
        detail = await self.call(self.workflows.execution, id_, star=star, principal=self.principal)
        self.reply(detail.to_json())


class JournalHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str, id_: str) -> None:
        entries = await self.call(
            self.workflows.journal,
            id_,
            star=star,
            principal=self.principal,
            after_seq=_int_argument("after", self.get_query_argument("after", "0")),
        )
        self.reply({"entries": [entry_json(e) for e in entries]})


class CancelHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self, star: str, id_: str) -> None:
        cancelled = await self.workflows.cancel(id_, star=star, principal=self.principal)
        self.reply({"execution": cancelled.to_json()})


class ResumeHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self, star: str, id_: str) -> None:
        resumed = await self.workflows.resume(id_, star=star, principal=self.principal)
        self.reply({"execution": resumed.to_json()})
