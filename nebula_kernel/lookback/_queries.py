"""Lookback on a store: the same queries, authorized for a principal and scoped to a star.

Lookback runs inside DuckDB over the whole history, where per-document guards cannot run; so on
a star whose types have guards, it needs the admin role (who may see everything anyway), and
the viewer role elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nebula_kernel.auth import Principal, Role
from nebula_kernel.lookback._cube import CubeSpec, cube
from nebula_kernel.lookback._find import find
from nebula_kernel.lookback._find_query import FindQuery
from nebula_kernel.lookback._find_result import FindResult
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._time_in_state import TimeInStateSpec, time_in_state
from nebula_kernel.lookback._timeseries import TimeSeries, TimeSeriesSpec, time_series
from nebula_kernel.lookback._transitions import TransitionsSpec, transitions

if TYPE_CHECKING:
    from nebula_kernel.resources import ResourceStore

__all__ = ["Lookback"]


class Lookback:
    """``store.lookback.find({...})``, ``.time_series(...)``, ``.time_in_state(...)``,
    ``.transitions(...)``, ``.cube(...)``; each takes ``star=`` and ``principal=``."""

    def __init__(self, store: ResourceStore) -> None:
        self._store = store

    def _scope(self, star: str | None, principal: Principal | None) -> tuple[Any, str]:
        star_name, who = self._store.access(star, principal, Role.VIEWER)
        if self._store.has_guards(star_name):
            self._store.access(star_name, who, Role.ADMIN)
        return self._store.repo.connection_for_queries(), star_name

    def find(
        self,
        query: Mapping[str, Any] | FindQuery,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> FindResult:
        return find(*self._scope(star, principal), query)

    def time_series(
        self,
        spec: Mapping[str, Any] | TimeSeriesSpec,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> TimeSeries:
        return time_series(*self._scope(star, principal), spec)

    def time_in_state(
        self,
        spec: Mapping[str, Any] | TimeInStateSpec,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ResultTable:
        return time_in_state(*self._scope(star, principal), spec)

    def transitions(
        self,
        spec: Mapping[str, Any] | TransitionsSpec,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ResultTable:
        return transitions(*self._scope(star, principal), spec)

    def cube(
        self,
        spec: Mapping[str, Any] | CubeSpec,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ResultTable:
        return cube(*self._scope(star, principal), spec)
