"""The triggers this server runs for a star (from the files of ``workflow_deployments``)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_server._base import NebulaHandler

__all__ = ["TriggersHandler"]


class TriggersHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str) -> None:
        name = await self.call(self.workflows.readable_star, star, self.principal)
        deployments = self.engines.deployments
        found = [] if deployments is None else deployments.triggers(name)
        self.reply({"triggers": [t.to_json() for t in found]})
