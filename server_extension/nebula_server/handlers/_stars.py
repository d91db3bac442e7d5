"""Stars and their resource types."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_server._api_models import CreateStar, DefineType
from nebula_server._base import NebulaHandler

__all__ = ["StarsHandler", "TypeHandler", "TypesHandler"]


class StarsHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self) -> None:
        stars = await self.call(self.engines.store.stars, principal=self.principal)
        self.reply({"stars": stars, "default": self.engines.store.default_star})

    @authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(CreateStar)
        row = await self.call(self.engines.store.create_star, body.star, principal=self.principal)
        self.reply(
            {
                "star": row.star,
                "created_at": row.created_at.isoformat(),
                "created_by": row.created_by,
            },
            status=201,
        )


class TypesHandler(NebulaHandler):
    @authenticated
    @authorized
    async def get(self, star: str) -> None:
        store, who = self.engines.store, self.principal

        def describe() -> list[dict[str, object]]:
            return [
                {
                    "name": name,
                    "versions": [
                        {"version": v.version, "json_schema": v.json_schema}
                        for v in store.type_versions(name, star=star, principal=who)
                    ],
                }
                for name in store.types(star=star, principal=who)
            ]

        self.reply({"types": await self.call(describe)})


class TypeHandler(NebulaHandler):
    @authenticated
    @authorized
    async def put(self, star: str, type_name: str) -> None:
        body = self.body(DefineType)
        defined = await self.call(
            self.engines.store.define_type,
            type_name,
            json_schema=body.json_schema,
            version=body.version,
            star=star,
            principal=self.principal,
        )
        self.reply(
            {"name": type_name, "version": defined.version, "json_schema": defined.json_schema}
        )
