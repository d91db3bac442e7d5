"""Which local days count as work: a time zone, work weekdays and holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

__all__ = ["WorkCalendar", "local_instant"]


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Work days in ``tz``: ``work_weekdays`` (0 = Monday) minus holidays.

    ``holidays`` are fixed dates; ``recurring_holidays`` are ``(month, day)`` pairs that repeat
    every year.
    """

    tz: ZoneInfo
    work_weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    recurring_holidays: frozenset[tuple[int, int]] = frozenset()

    def is_work_day(self, day: date) -> bool:
        return (
            day.weekday() in self.work_weekdays
            and day not in self.holidays
            and (day.month, day.day) not in self.recurring_holidays
        )

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz``.

    A wall-clock time skipped by a DST change maps (zoneinfo, ``fold=0``) to an instant after the
    gap: a midnight that does not exist becomes the day's first real instant.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
