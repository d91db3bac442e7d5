"""Work-time buckets: the bucket lookup gives the work time of the local day holding an instant."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nebula_kernel.lookback._calendar import WorkCalendar
from nebula_kernel.lookback._specs import clock_instant
from nebula_kernel.lookback._work_time import WorkBuckets, work_buckets

US = timedelta(microseconds=1)


def day_by_day(
    calendar: WorkCalendar, start: datetime, end: datetime, opens: int, closes: int
) -> Callable[[datetime], int]:
    """W(t) from start's local midnight by the local days (the definition), from a list of
    them: where each ends, the work time before it, its work start and work length."""
    tz = calendar.tz
    day, total, days = calendar.local_date(start), 0, []
    while day <= calendar.local_date(end):
        work_start = clock_instant(day, opens, tz)
        length = (clock_instant(day, closes, tz) - work_start) // US
        length = length if calendar.is_work_day(day) else 0
        days.append((clock_instant(day + timedelta(days=1), 0, tz), total, work_start, length))
        total += length
        day += timedelta(days=1)

    def work_us(instant: datetime) -> int:
        _, before, work_start, length = days[bisect_right([d[0] for d in days], instant)]
        return before + min(max((instant - work_start) // US, 0), length)

    return work_us


def looked_up(buckets: WorkBuckets, instant: datetime) -> int:
    """W(t) as the SQL computes it from the bucket table."""
    offset = (instant - buckets.origin) // US
    split, *sides = (column[offset // buckets.width_us] for column in buckets.columns)
    cumulative, work_start, length = sides[:3] if offset < split else sides[3:]
    return int(cumulative + min(max(offset - work_start, 0), length))


@pytest.mark.parametrize("zone", ["America/Chicago", "America/Havana", "Australia/Lord_Howe"])
@pytest.mark.parametrize(("opens", "closes"), [(540, 1020), (0, 1440), (30, 90), (1380, 1440)])
def test_buckets_agree_with_the_local_days(zone: str, opens: int, closes: int) -> None:
    # Havana changes clocks at midnight; Lord Howe by half an hour.
    calendar = WorkCalendar(ZoneInfo(zone), holidays=frozenset({date(2023, 3, 13)}))
    start = clock_instant(date(2023, 1, 1), 0, calendar.tz) + timedelta(hours=5)
    end = start + timedelta(days=370)
    buckets = work_buckets(calendar, start, end, opens, closes)
    expected = day_by_day(calendar, start, end, opens, closes)
    rng = random.Random(zone)
    instants = [start + (end - start) * rng.random() for _ in range(300)]
    day = calendar.local_date(start) + timedelta(days=1)
    while clock_instant(day, 0, calendar.tz) < end:  # every midnight and work start, and around
        for at in (clock_instant(day, 0, calendar.tz), clock_instant(day, opens, calendar.tz)):
            instants += [at - US, at, at + US]
        day += timedelta(days=1)
    for instant in [start, end, *(i for i in instants if start <= i <= end)]:
        assert looked_up(buckets, instant) == expected(instant), instant
