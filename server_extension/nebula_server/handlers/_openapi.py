"""Serves the OpenAPI document (to authenticated users, like every other route)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_server._base import NebulaHandler

__all__ = ["OpenApiHandler"]


class OpenApiHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self) -> None:
        from nebula_server._openapi import openapi_document

        self.reply(openapi_document())
