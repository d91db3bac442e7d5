"""Ticks: period ends in a time zone, work days, holidays, DST; labels; limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nebula_kernel.lookback import Tick, ticks

CHICAGO = "America/Chicago"
EVERY_DAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def pairs(found: tuple[Tick, ...]) -> list[tuple[str, datetime]]:
    return [(t.label, t.at) for t in found]


def test_a_day_tick_is_the_end_of_the_local_day() -> None:
    # Chicago is UTC-6 in January: the day 2011-01-02 ends at 2011-01-03T00:00-06:00 = 06:00Z.
    found = ticks(
        {
            "granularity": "day",
            "tz": CHICAGO,
            "start": "2011-01-01",
            "end": "2011-01-04",
            "workDays": EVERY_DAY,
        }
    )
    assert pairs(found) == [
        ("2011-01-01", utc(2011, 1, 2, 6)),
        ("2011-01-02", utc(2011, 1, 3, 6)),
        ("2011-01-03", utc(2011, 1, 4, 6)),
    ]
    assert found[1].start == utc(2011, 1, 2, 6)


def test_weekends_and_holidays_have_no_tick() -> None:
    # 2010-12-30 Thu, 12-31 Fri (recurring holiday), 01-01 Sat, 01-02 Sun, 01-03 Mon,
    # 01-04 Tue (one-off holiday, given as text), 01-05 Wed.
    found = ticks(
        {
            "granularity": "day",
            "tz": CHICAGO,
            "start": "2010-12-30",
            "end": "2011-01-06",
            "holidays": [{"month": 12, "day": 31}, "2011-01-04"],
        }
    )
    assert [t.label for t in found] == ["2010-12-30", "2011-01-03", "2011-01-05"]


def test_days_are_23_and_25_hours_long_across_dst() -> None:
    # 2011-03-13: clocks go 02:00 CST -> 03:00 CDT; 2011-11-06: 02:00 CDT -> 01:00 CST.
    spring = ticks(
        {
            "granularity": "day",
            "tz": CHICAGO,
            "start": "2011-03-12",
            "end": "2011-03-15",
            "workDays": EVERY_DAY,
        }
    )
    assert pairs(spring) == [
        ("2011-03-12", utc(2011, 3, 13, 6)),
        ("2011-03-13", utc(2011, 3, 14, 5)),
        ("2011-03-14", utc(2011, 3, 15, 5)),
    ]
    assert spring[1].at - spring[1].start == timedelta(hours=23)
    fall = ticks(
        {
            "granularity": "day",
            "tz": CHICAGO,
            "start": "2011-11-06",
            "end": "2011-11-07",
            "workDays": EVERY_DAY,
        }
    )
    assert fall[0].at - fall[0].start == timedelta(hours=25)
    assert fall[0].at == utc(2011, 11, 7, 6)


def test_hours_skip_the_missing_hour_and_repeat_the_doubled_one() -> None:
    spring = ticks(
        {
            "granularity": "hour",
            "tz": CHICAGO,
            "start": "2011-03-13T00:00",
            "end": "2011-03-13T04:00",
            "workDays": EVERY_DAY,
        }
    )
    # 00:00 CST = 06Z, 01:00 CST = 07Z, then 03:00 CDT = 08Z; 04:00 CDT (09Z) is the end.
    assert pairs(spring) == [
        ("2011-03-13T00", utc(2011, 3, 13, 7)),
        ("2011-03-13T01", utc(2011, 3, 13, 8)),
        ("2011-03-13T03", utc(2011, 3, 13, 9)),
    ]
    fall = ticks(
        {
            "granularity": "hour",
            "tz": CHICAGO,
            "start": "2011-11-06T00:00",
            "end": "2011-11-06T03:00",
            "workDays": EVERY_DAY,
        }
    )
    # 00 CDT = 05Z, 01 CDT = 06Z, 01 CST = 07Z, 02 CST = 08Z; 03:00 CST = 09Z is the end.
    assert [t.label for t in fall] == [
        "2011-11-06T00",
        "2011-11-06T01",
        "2011-11-06T01",
        "2011-11-06T02",
    ]
    assert fall[-1].at == utc(2011, 11, 6, 9)


def test_hour_ticks_keep_to_work_hours_and_work_days() -> None:
    # Friday 2011-01-07 09:00-11:00 gives two hours; the weekend gives none; Monday two more.
    found = ticks(
        {
            "granularity": "hour",
            "tz": "UTC",
            "start": "2011-01-07",
            "end": "2011-01-11",
            "workDayStartOn": "09:00",
            "workDayEndBefore": "11:00",
        }
    )
    assert [t.label for t in found] == [
        "2011-01-07T09",
        "2011-01-07T10",
        "2011-01-10T09",
        "2011-01-10T10",
    ]


def test_minute_ticks() -> None:
    found = ticks(
        {
            "granularity": "minute",
            "tz": "Asia/Kolkata",
            "start": "2011-01-03T09:58",
            "end": "2011-01-03T10:01",
        }
    )
    # Kolkata is UTC+05:30: 09:58 local = 04:28Z, so its minute ends at 04:29Z.
    assert pairs(found) == [
        ("2011-01-03T09:58", utc(2011, 1, 3, 4, 29)),
        ("2011-01-03T09:59", utc(2011, 1, 3, 4, 30)),
        ("2011-01-03T10:00", utc(2011, 1, 3, 4, 31)),
    ]


def test_weeks_months_and_quarters() -> None:
    weeks = ticks({"granularity": "week", "tz": "UTC", "start": "2011-01-05", "end": "2011-01-12"})
    # ISO weeks start on Monday: 2011-01-03 .. 01-09 is 2011W01, 01-10 .. 01-16 is 2011W02.
    assert pairs(weeks) == [("2011W01", utc(2011, 1, 10)), ("2011W02", utc(2011, 1, 17))]
    months = ticks(
        {"granularity": "month", "tz": CHICAGO, "start": "2011-02-15", "end": "2011-04-01"}
    )
    # March ends after the DST change: 2011-04-01T00:00 CDT = 05:00Z.
    assert pairs(months) == [("2011-02", utc(2011, 3, 1, 6)), ("2011-03", utc(2011, 4, 1, 5))]
    quarters = ticks(
        {"granularity": "quarter", "tz": "UTC", "start": "2011-11-01", "end": "2012-04-01"}
    )
    assert pairs(quarters) == [("2011Q4", utc(2012, 1, 1)), ("2012Q1", utc(2012, 4, 1))]


def test_an_instant_with_an_offset_is_taken_as_is() -> None:
    # 2011-01-03T05:00Z is still 2011-01-02 (23:00) in Chicago, so that day is the first.
    found = ticks(
        {
            "granularity": "day",
            "tz": CHICAGO,
            "start": "2011-01-03T05:00:00Z",
            "end": "2011-01-04",
            "workDays": EVERY_DAY,
        }
    )
    assert [t.label for t in found] == ["2011-01-02", "2011-01-03"]


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"granularity": "fortnight"}, "granularity"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"start": "2011-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"end": "2010-01-01"}, "end"),
        ({"holidays": [{"month": 2, "day": 30}]}, "holidays.0"),
        ({"holidays": ["12/25"]}, "holidays.0"),
        ({"workDays": ["Funday"]}, "workDays"),
        ({"workDayStartOn": "9am"}, "workDayStartOn"),
        ({"workDayStartOn": "17:00", "workDayEndBefore": "09:00"}, "workDayEndBefore"),
        ({"granularity": "minute", "end": "2011-12-31"}, "granularity"),
        ({"tickz": 1}, "tickz"),
    ],
)
def test_invalid_tick_specs_point_at_the_field(
    invalid_query_path: Callable[[Callable[[], object]], str], spec: dict[str, Any], path: str
) -> None:
    base = {"granularity": "day", "tz": "UTC", "start": "2011-01-01", "end": "2011-02-01"}
    assert invalid_query_path(lambda: ticks({**base, **spec})) == path
