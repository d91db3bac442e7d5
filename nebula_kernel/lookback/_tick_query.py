"""The ticks of a query document: what the aggregations sample, for callers to see or chart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nebula_kernel.lookback._specs import TicksSpec, parse_spec
from nebula_kernel.lookback._ticks import Tick, generate_ticks

__all__ = ["ticks"]


def ticks(spec: Mapping[str, Any] | TicksSpec) -> tuple[Tick, ...]:
    """The ticks of ``spec`` (``granularity``, ``start``, ``end``, ``tz``, ``workDays``,
    ``holidays``, and for minute and hour ticks ``workDayStartOn``/``workDayEndBefore``)."""
    return generate_ticks(parse_spec(TicksSpec, spec, "ticks").tick_range())
