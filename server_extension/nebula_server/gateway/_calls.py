"""The server methods a client may ``call`` over the gateway, and how their arguments map."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from nebula_kernel.auth import Principal
from nebula_kernel.errors import InvalidRequest
from nebula_kernel.resources import ResourceStore
from nebula_server._api_models import TransactionIn, resource_out

__all__ = ["CALLS", "call_method"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    star: str | None = None


class _Key(_Args):
    type: str
    id: str


class _Get(_Key):
    as_of: Any = None


class _Put(_Key):
    value: dict[str, Any]
    etag: str | None = None
    must_not_exist: bool = False


class _Delete(_Key):
    etag: str | None = None


class _List(_Args):
    type: str | None = None
    after: str | None = None
    limit: int = 1000


class _Commit(_Args, TransactionIn):
    pass


def _precondition(etag: str | None, must_not_exist: bool) -> Any:
    from nebula_kernel.resources import MUST_NOT_EXIST

    return MUST_NOT_EXIST if must_not_exist else etag


Handler = Callable[[ResourceStore, Principal, dict[str, Any]], Any]


def _get(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Get.model_validate(raw)
    return resource_out(store.get(a.type, a.id, as_of=a.as_of, star=a.star, principal=who))


def _put(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Put.model_validate(raw)
    return resource_out(
        store.put(
            a.type,
            a.id,
            a.value,
            star=a.star,
            principal=who,
            etag=_precondition(a.etag, a.must_not_exist),
        )
    )


def _delete(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Delete.model_validate(raw)
    return resource_out(store.delete(a.type, a.id, etag=a.etag, star=a.star, principal=who))


def _list(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _List.model_validate(raw)
    found = store.list(a.type, after=a.after, limit=a.limit, star=a.star, principal=who)
    return [resource_out(r) for r in found]


def _history(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Key.model_validate(raw)
    return [resource_out(r) for r in store.history(a.type, a.id, star=a.star, principal=who)]


def _commit(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Commit.model_validate(raw)
    results = store.commit([op.to_op() for op in a.ops], star=a.star, principal=who)
    return [resource_out(r) for r in results]


def _stars(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    _Args.model_validate(raw)
    return store.stars(principal=who)


def _last_seq(store: ResourceStore, who: Principal, raw: dict[str, Any]) -> Any:
    a = _Args.model_validate(raw)
    return store.last_seq(star=a.star, principal=who)


CALLS: dict[str, Handler] = {
    "get": _get,
    "put": _put,
    "delete": _delete,
    "list": _list,
    "history": _history,
    "commit": _commit,
    "stars": _stars,
    "last_seq": _last_seq,
}


def call_method(store: ResourceStore, who: Principal, method: str, args: dict[str, Any]) -> Any:
    handler = CALLS.get(method)
    if handler is None:
        raise InvalidRequest(
            f"Unknown method {method[:64]!r} on 'resources'; use one of {sorted(CALLS)}."
        )
    return handler(store, who, args)
