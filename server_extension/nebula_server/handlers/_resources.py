"""Resources: reads, writes with eTags (If-Match / If-None-Match), history, as-of, diff, and
transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_kernel._time import parse_instant
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.resources import MUST_NOT_EXIST, ETagPrecondition
from nebula_server._api_models import JsonObject, TransactionIn, resource_out
from nebula_server._base import NebulaHandler

__all__ = [
    "DiffHandler",
    "HistoryHandler",
    "ResourceHandler",
    "ResourcesHandler",
    "TransactionHandler",
]


def _instant(name: str, text: str | None) -> datetime | None:
    return None if text is None else parse_instant(text, name)


def _required_instant(name: str, text: str | None) -> datetime:
    if text is None:
        raise InvalidRequest(f"The query parameter {name} is required.")
    return parse_instant(text, name)


class ResourcesHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str, type_name: str) -> None:
        limit_text = self.get_query_argument("limit", "1000")
        if not limit_text.isdigit():
            raise InvalidRequest("limit must be a positive integer.")
        found = await self.call(
            self.engines.store.list,
            type_name,
            after=self.get_query_argument("after", None),
            limit=int(limit_text),
            star=star,
            principal=self.principal,
        )
        self.reply({"resources": [resource_out(r) for r in found]})


class ResourceHandler(NebulaHandler):
    def _precondition(self) -> ETagPrecondition:
        if_match = self.request.headers.get("If-Match")
        if_none_match = self.request.headers.get("If-None-Match")
        if if_match and if_none_match:
            raise InvalidRequest("Send If-Match or If-None-Match, not both.")
        if if_none_match is not None:
            if if_none_match.strip() != "*":
                raise InvalidRequest("If-None-Match only takes '*' (the resource must not exist).")
            return MUST_NOT_EXIST
        return if_match.strip().strip('"') if if_match else None

    def _send(self, payload: dict[str, Any], status: int = 200) -> None:
        self.set_header("ETag", f'"{payload["etag"]}"')
        self.reply(payload, status)

    @authenticated
    @authorized
    async def get(self, star: str, type_name: str, id_: str) -> None:
        as_of = _instant("as_of", self.get_query_argument("as_of", None))
        found = await self.call(
            self.engines.store.get, type_name, id_, as_of=as_of, star=star, principal=self.principal
        )
        self._send(resource_out(found))

    @authenticated
    @authorized
    async def put(self, star: str, type_name: str, id_: str) -> None:
        value = self.body_json_object()
        written = await self.call(
            self.engines.store.put,
            type_name,
            id_,
            value,
            etag=self._precondition(),
            star=star,
            principal=self.principal,
        )
        self._send(resource_out(written), 201 if written.snapshot_number == 1 else 200)

    @authenticated
    @authorized
    async def delete(self, star: str, type_name: str, id_: str) -> None:
        closed = await self.call(
            self.engines.store.delete,
            type_name,
            id_,
            etag=self._precondition(),
            star=star,
            principal=self.principal,
        )
        self.reply(resource_out(closed))

    def body_json_object(self) -> dict[str, Any]:
        return self.body(JsonObject).root


class HistoryHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str, type_name: str, id_: str) -> None:
        snapshots = await self.call(
            self.engines.store.history, type_name, id_, star=star, principal=self.principal
        )
        self.reply({"snapshots": [resource_out(s) for s in snapshots]})


class DiffHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str, type_name: str, id_: str) -> None:
        start = _required_instant("start", self.get_query_argument("start", None))
        end = _required_instant("end", self.get_query_argument("end", None))
        diff = await self.call(
            self.engines.store.diff, type_name, id_, start, end, star=star, principal=self.principal
        )
        self.reply(
            {
                "before": resource_out(diff.before) if diff.before else None,
                "after": resource_out(diff.after) if diff.after else None,
                "changes": [
                    {"path": list(c.path), "old": c.old, "new": c.new, "kind": c.kind}
                    for c in diff.changes
                ],
            }
        )


class TransactionHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self, star: str) -> None:
        body = self.body(TransactionIn)
        results = await self.call(
            self.engines.store.commit,
            [op.to_op() for op in body.ops],
            star=star,
            principal=self.principal,
        )
        self.reply({"results": [resource_out(r) for r in results]})
