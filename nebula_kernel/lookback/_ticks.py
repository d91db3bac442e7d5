"""Ticks: the instants at which Lookback aggregations sample history.

A tick is the END of a counted period (as in Lumenize): for day granularity in America/Chicago
the period "2011-01-02" runs from local midnight to the next local midnight, so its tick is
2011-01-03T06:00:00Z. Days that are not work days (weekday outside the work week, or a holiday)
produce no tick at day, hour and minute granularity; weeks, months and quarters always count.

Calendar periods (day and longer) are computed on local dates, so a day is 23 or 25 hours long
across a DST change. Hours and minutes step in real time from a local boundary, so the repeated
hour of a fall-back night is two periods (with the same local label) and the skipped hour of a
spring-forward night is none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._calendar import WorkCalendar, local_instant

__all__ = ["GRANULARITIES", "MAX_TICKS", "Granularity", "Tick", "TickRange", "generate_ticks"]

Granularity = Literal["minute", "hour", "day", "week", "month", "quarter"]
GRANULARITIES: tuple[Granularity, ...] = ("minute", "hour", "day", "week", "month", "quarter")
MAX_TICKS = 100_000
"""More ticks than this is almost surely a mistake (minute ticks over a year), and costly."""

_MIDNIGHT = time(0, 0)
_STEPS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}


@dataclass(frozen=True, slots=True)
class Tick:
    """One counted period: ``label`` names it in local time, ``at`` (UTC) is the tick itself."""

    label: str
    start: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class TickRange:
    """Periods of ``granularity`` from the one holding ``start`` to the last starting before
    ``end`` (both UTC instants). ``work_hours`` (local minutes of the day, ``[from, to)``) limits
    minute and hour periods to the working part of each work day; ``None`` keeps the whole day."""

    granularity: Granularity
    start: datetime
    end: datetime
    calendar: WorkCalendar
    work_hours: tuple[int, int] | None = None


def generate_ticks(spec: TickRange) -> tuple[Tick, ...]:
    """Every counted period of ``spec``, in time order."""
    periods = _clock_periods(spec) if spec.granularity in _STEPS else _calendar_periods(spec)
    ticks: list[Tick] = []
    for tick in periods:
        ticks.append(tick)
        if len(ticks) > MAX_TICKS:
            raise InvalidQuery(
                f"granularity: this query would produce more than {MAX_TICKS:,} ticks; use a "
                "coarser granularity or a shorter range between start and end",
                path="granularity",
            )
    return tuple(ticks)


def _calendar_periods(spec: TickRange) -> Iterator[Tick]:
    tz = spec.calendar.tz
    day = _period_floor(spec.calendar.local_date(spec.start), spec.granularity)
    begins = local_instant(day, _MIDNIGHT, tz)
    while begins < spec.end:
        following = _next_period(day, spec.granularity)
        ends = local_instant(following, _MIDNIGHT, tz)
        if spec.granularity != "day" or spec.calendar.is_work_day(day):
            yield Tick(_calendar_label(day, spec.granularity), begins, ends)
        day, begins = following, ends


def _clock_periods(spec: TickRange) -> Iterator[Tick]:
    tz = spec.calendar.tz
    step = _STEPS[spec.granularity]
    if (spec.end - spec.start) / step > 20 * MAX_TICKS:
        raise InvalidQuery(
            f"granularity: a range this long has too many {spec.granularity}s to scan; use a "
            "coarser granularity or a shorter range between start and end",
            path="granularity",
        )
    local = spec.start.astimezone(tz)
    local = local.replace(second=0, microsecond=0)
    if spec.granularity == "hour":
        local = local.replace(minute=0)
    begins = local_instant(local.date(), local.time(), tz)
    while begins < spec.end:
        local = begins.astimezone(tz)
        if spec.calendar.is_work_day(local.date()) and _in_work_hours(local.time(), spec):
            label_format = "%Y-%m-%dT%H" if spec.granularity == "hour" else "%Y-%m-%dT%H:%M"
            yield Tick(local.strftime(label_format), begins, begins + step)
        begins += step


def _in_work_hours(at: time, spec: TickRange) -> bool:
    if spec.work_hours is None:
        return True
    opens, closes = spec.work_hours
    return opens <= at.hour * 60 + at.minute < closes


def _period_floor(day: date, granularity: Granularity) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day


def _next_period(day: date, granularity: Granularity) -> date:
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7)
    months = 1 if granularity == "month" else 3
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _calendar_label(day: date, granularity: Granularity) -> str:
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}W{week:02d}"
    if granularity == "month":
        return f"{day.year}-{day.month:02d}"
    if granularity == "quarter":
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()
