"""Built-in actions on the resources store: get, put, query (list) and transaction.

Each needs the ``resources`` capability for the star it touches (the store's default star when
none is given). The store is synchronous, so calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows._actions import ActionContext, ActionSpec, action
from nebula_kernel.workflows._capabilities import Needs

__all__ = ["RESOURCE_ACTIONS"]


class _StarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    star: str | None = None


def _store(ctx: ActionContext) -> Any:
    store = ctx.services.store
    if store is None:
        raise ActionFailed(
            "This runtime has no resources store; open it with open_runtime(store=...).",
            error_code="no_store",
            retryable=False,
        )
    return store


def _needs(inputs: _StarIn, ctx: ActionContext) -> Needs:
    return Needs(resources=(inputs.star or ctx.star,))


def _acting(inputs: _StarIn, ctx: ActionContext) -> dict[str, Any]:
    """The star and principal a resource action calls the store with: the node's star, else
    the execution's, as the principal the runtime assigns to that star."""
    return {"star": inputs.star or ctx.star, "principal": ctx.principal}


def _plain(resource: Any) -> dict[str, Any]:
    return {
        "type": resource.type,
        "id": resource.id,
        "value": resource.value,
        "etag": resource.etag,
    }


class GetIn(_StarIn):
    type: str
    id: str


@action(
    "resource.get",
    capabilities={"resources"},
    needs=_needs,
    description="Read a resource's current value.",
)
async def resource_get(inputs: GetIn, ctx: ActionContext) -> dict[str, Any]:
    store = _store(ctx)
    found = await asyncio.to_thread(store.get, inputs.type, inputs.id, **_acting(inputs, ctx))
    return _plain(found)


class PutIn(_StarIn):
    type: str
    id: str
    value: dict[str, Any]
    etag: str | None = None


@action(
    "resource.put",
    capabilities={"resources"},
    needs=_needs,
    description="Create or replace a resource (optionally only if its eTag still matches).",
)
async def resource_put(inputs: PutIn, ctx: ActionContext) -> dict[str, Any]:
    store = _store(ctx)
    written = await asyncio.to_thread(
        store.put, inputs.type, inputs.id, inputs.value, etag=inputs.etag, **_acting(inputs, ctx)
    )
    return _plain(written)


class QueryIn(_StarIn):
    type: str
    after: str | None = None
    limit: int = Field(100, ge=1, le=10_000)


@action(
    "resource.query",
    capabilities={"resources"},
    needs=_needs,
    description="List current resources of a type, ordered by id.",
)
async def resource_query(inputs: QueryIn, ctx: ActionContext) -> dict[str, Any]:
    store = _store(ctx)
    found = await asyncio.to_thread(
        store.list, inputs.type, after=inputs.after, limit=inputs.limit, **_acting(inputs, ctx)
    )
    return {"items": [_plain(r) for r in found]}


class TxOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["put", "delete"]
    type: str
    id: str
    value: dict[str, Any] | None = None
    etag: str | None = None


class TransactionIn(_StarIn):
    ops: list[TxOp] = Field(min_length=1)


@action(
    "resource.transaction",
    capabilities={"resources"},
    needs=_needs,
    description="Apply puts and deletes atomically, or none of them.",
)
async def resource_transaction(inputs: TransactionIn, ctx: ActionContext) -> dict[str, Any]:
    from nebula_kernel.resources import Delete, Put

    store = _store(ctx)
    ops = [
        Put(o.type, o.id, o.value or {}, o.etag) if o.op == "put" else Delete(o.type, o.id, o.etag)
        for o in inputs.ops
    ]
    done = await asyncio.to_thread(store.commit, ops, **_acting(inputs, ctx))
    return {"items": [_plain(r) for r in done]}


RESOURCE_ACTIONS: tuple[ActionSpec, ...] = (
    resource_get,
    resource_put,
    resource_query,
    resource_transaction,
)
