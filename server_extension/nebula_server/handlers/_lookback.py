"""Lookback over REST: ``find`` and the aggregations, one POST each, the query as the body."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado.web import authenticated

from nebula_kernel.errors import InvalidQuery
from nebula_server._api_models import JsonObject
from nebula_server._base import NebulaHandler

__all__ = ["LOOKBACK_KINDS", "LookbackHandler"]

LOOKBACK_KINDS = ("find", "time-series", "time-in-state", "transitions", "cube")


def _table(result: Any) -> dict[str, Any]:
    return {"columns": list(result.columns), "rows": result.records()}


class LookbackHandler(NebulaHandler):
    @authenticated
    @authorized
    async def post(self, star: str, kind: str) -> None:
        spec = self.body(JsonObject).root
        queries = self.engines.store.lookback
        who = self.principal

        def run() -> dict[str, Any]:
            if kind == "find":
                return queries.find(spec, star=star, principal=who).to_dict()
            if kind == "time-series":
                series = queries.time_series(spec, star=star, principal=who)
                return {**_table(series.table), "summary": dict(series.summary)}
            if kind == "time-in-state":
                return _table(queries.time_in_state(spec, star=star, principal=who))
            if kind == "transitions":
                return _table(queries.transitions(spec, star=star, principal=who))
            if kind == "cube":
                return _table(queries.cube(spec, star=star, principal=who))
            raise InvalidQuery(
                f"Unknown Lookback query {kind[:40]!r}; use one of {', '.join(LOOKBACK_KINDS)}."
            )

        self.reply(await self.call(run))
