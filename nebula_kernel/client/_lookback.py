"""Lookback on a server's store: the same methods and result types as the embedded one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nebula_kernel.auth import Principal
from nebula_kernel.lookback import FindResult, ResultTable, TimeSeries

__all__ = ["RemoteLookback"]


def _table(payload: Mapping[str, Any]) -> ResultTable:
    return ResultTable.from_records(payload["columns"], payload["rows"])


def _spec(spec: Any) -> Any:
    # A pydantic spec travels as the JSON document it was parsed from (aliases included).
    dump = getattr(spec, "model_dump", None)
    return dump(mode="json", by_alias=True, exclude_none=True) if dump else dict(spec)


class RemoteLookback:
    def __init__(self, post: Callable[[str, str | None, Any], Any]) -> None:
        self._post = post

    @staticmethod
    def _check(principal: Principal | None) -> None:
        from nebula_kernel.client._remote import reject_principal

        reject_principal(principal)

    def find(
        self, query: Any, *, star: str | None = None, principal: Principal | None = None
    ) -> FindResult:
        self._check(principal)
        found = self._post("find", star, _spec(query))
        return FindResult(
            found["total"],
            found["start"],
            found["pagesize"],
            tuple(found["results"]),
            found["read_point"],
        )

    def time_series(
        self, spec: Any, *, star: str | None = None, principal: Principal | None = None
    ) -> TimeSeries:
        self._check(principal)
        found = self._post("time-series", star, _spec(spec))
        return TimeSeries(_table(found), found.get("summary", {}))

    def time_in_state(
        self, spec: Any, *, star: str | None = None, principal: Principal | None = None
    ) -> ResultTable:
        self._check(principal)
        return _table(self._post("time-in-state", star, _spec(spec)))

    def transitions(
        self, spec: Any, *, star: str | None = None, principal: Principal | None = None
    ) -> ResultTable:
        self._check(principal)
        return _table(self._post("transitions", star, _spec(spec)))

    def cube(
        self, spec: Any, *, star: str | None = None, principal: Principal | None = None
    ) -> ResultTable:
        self._check(principal)
        return _table(self._post("cube", star, _spec(spec)))
