"""Editing workflows: the action palette, validation, expression checks and saving files.

None of these reads a star's data, so they are not star-scoped; they need an authenticated
user like every route, and saving needs Jupyter's permission to write files.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.workflows import WorkflowCheck, format_of
from nebula_server._base import NebulaHandler
from nebula_server._workflow_models import ExpressionCheckIn, ValidateIn, WorkflowFileIn
from nebula_server.handlers._workflow_files import save_workflow_file

__all__ = ["ActionsHandler", "ExpressionCheckHandler", "ValidateHandler", "WorkflowFileHandler"]


def _validation(checked: WorkflowCheck) -> dict[str, object]:
    return {
        "ok": checked.ok,
        "problems": [p.to_dict() for p in checked.problems],
        "workflow": None if checked.definition is None else checked.definition.to_json_dict(),
    }


class ActionsHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self) -> None:
        self.reply({"actions": self.workflows.actions(self.principal)})


class ValidateHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(ValidateIn)
        checked = await self.call(self.workflows.validate, body.source, body.format)
        self.reply(_validation(checked))


class ExpressionCheckHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(ExpressionCheckIn)
        checked = await self.call(self.workflows.check_expression, body.text, body.mode, body.nodes)
        self.reply(checked.to_json())


class WorkflowFileHandler(NebulaHandler):
    unprocessable = (InvalidDefinition,)

    @authenticated
    @authorized
    async def put(self) -> None:
        body = self.body(WorkflowFileIn)
        checked = await self.call(self.workflows.validate, body.source, format_of(body.path))
        definition = checked.usable(body.path[-120:])
        saved = await save_workflow_file(self, body.path, body.source)
        last_modified = saved.get("last_modified")
        self.reply(
            {
                "path": saved.get("path", body.path),
                "last_modified": None if last_modified is None else str(last_modified),
                "workflow": definition.to_json_dict(),
            }
        )
