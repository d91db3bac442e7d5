"""Lookback: history queries over the snapshots of temporal resources, executed by DuckDB."""

from __future__ import annotations

from nebula_kernel.lookback._cube import CubeSpec, cube
from nebula_kernel.lookback._filter import Filter, filter_matches, filter_sql, parse_filter
from nebula_kernel.lookback._find import find
from nebula_kernel.lookback._find_query import FindQuery
from nebula_kernel.lookback._find_result import FindResult
from nebula_kernel.lookback._queries import Lookback
from nebula_kernel.lookback._results import ResultTable
from nebula_kernel.lookback._specs import TicksSpec
from nebula_kernel.lookback._tick_query import ticks
from nebula_kernel.lookback._ticks import Tick
from nebula_kernel.lookback._time_in_state import (
    TimeInStateSpec,
    merge_time_in_state,
    time_in_state,
)
from nebula_kernel.lookback._timeseries import (
    TimeSeries,
    TimeSeriesSpec,
    merge_time_series,
    time_series,
)
from nebula_kernel.lookback._transitions import TransitionsSpec, merge_transitions, transitions

__all__ = [
    "CubeSpec",
    "Filter",
    "FindQuery",
    "FindResult",
    "Lookback",
    "ResultTable",
    "Tick",
    "TicksSpec",
    "TimeInStateSpec",
    "TimeSeries",
    "TimeSeriesSpec",
    "TransitionsSpec",
    "cube",
    "filter_matches",
    "filter_sql",
    "find",
    "merge_time_in_state",
    "merge_time_series",
    "merge_transitions",
    "parse_filter",
    "ticks",
    "time_in_state",
    "time_series",
    "transitions",
]
