"""The aggregation names are part of the public surface of ``nebula_kernel.lookback``."""

from __future__ import annotations

import nebula_kernel.lookback as lookback

AGGREGATION_NAMES = {
    "CubeSpec",
    "ResultTable",
    "Tick",
    "TicksSpec",
    "TimeInStateSpec",
    "TimeSeries",
    "TimeSeriesSpec",
    "TransitionsSpec",
    "cube",
    "merge_time_in_state",
    "merge_time_series",
    "merge_transitions",
    "ticks",
    "time_in_state",
    "time_series",
    "transitions",
}


def test_aggregations_are_exported() -> None:
    assert set(lookback.__all__) >= AGGREGATION_NAMES
    assert all(getattr(lookback, name) is not None for name in AGGREGATION_NAMES)
