"""Work time as a function of the instant, as a table SQL reaches by an equi-join.

``W(t)``, the work time from the first local midnight of a window to ``t``, is
``cumulative + clamp(t - work_start, 0, work_length)`` of the local day holding ``t``. Finding
that day is a range lookup (an ASOF join costs as much as the rest of a time-in-state query), so
time is cut into buckets no wider than the shortest day: a bucket holds at most one midnight,
``t``'s bucket is ``t // width`` (a hash join on an integer), and ``t < midnight`` picks the day
before or after the bucket's midnight. Instants are integer microseconds after the first
midnight, so the arithmetic is exact.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from nebula_kernel._time import ONE_MICROSECOND, epoch_us
from nebula_kernel.lookback._calendar import WorkCalendar
from nebula_kernel.lookback._specs import clock_instant
from nebula_kernel.lookback._sql import Sql

__all__ = ["WorkBuckets", "work_buckets"]

# The bucket table (alias cal): per bucket k, the midnight inside it (or its end) and the
# cumulative work time, work start and work length of the day before and of the day from it.
_TABLE = (
    "cal AS (SELECT unnest(range(?)) AS k, unnest(?::BIGINT[]) AS midnight, "
    "unnest(?::BIGINT[]) AS cum0, unnest(?::BIGINT[]) AS ws0, unnest(?::BIGINT[]) AS len0, "
    "unnest(?::BIGINT[]) AS cum1, unnest(?::BIGINT[]) AS ws1, unnest(?::BIGINT[]) AS len1)"
)
# clamp(x, 0, len) as least(greatest(x, 0), len), written as a CASE: DuckDB runs it faster.
_CLAMP = "CASE WHEN {x} <= 0 THEN 0 WHEN {x} >= {n} THEN {n} ELSE {x} END"


@dataclass(frozen=True, slots=True)
class WorkBuckets:
    """The buckets of a window: ``origin`` (its first local midnight), ``width_us``, and the
    columns of the bucket table, one value per bucket."""

    origin: datetime
    width_us: int
    columns: tuple[list[int], ...]

    def table_sql(self) -> Sql:
        """The bucket table as a CTE named ``cal``."""
        return Sql(_TABLE, (len(self.columns[0]), *self.columns))

    def offset_sql(self, instant: Sql) -> Sql:
        """Microseconds from the origin to a TIMESTAMPTZ expression."""
        return instant.wrap("(epoch_us(", ") - ?)") + Sql("", (epoch_us(self.origin),))

    def join_sql(self, alias: str, offset: str) -> Sql:
        """Join the bucket of an offset column (constant fragments) as ``alias``."""
        return Sql(f" JOIN cal {alias} ON {alias}.k = {offset} // ?", (self.width_us,))

    @staticmethod
    def work_us_sql(offset: str, bucket: str) -> str:
        """W (microseconds) at an offset column, given its bucket's alias."""

        def side(n: str) -> str:
            x = f"{offset} - {bucket}.ws{n}"
            return f"{bucket}.cum{n} + " + _CLAMP.format(x=x, n=f"{bucket}.len{n}")

        return f"CASE WHEN {offset} < {bucket}.midnight THEN {side('0')} ELSE {side('1')} END"


def work_buckets(
    calendar: WorkCalendar, start: datetime, end: datetime, opens: int, closes: int
) -> WorkBuckets:
    """The buckets from ``start``'s local day to ``end``'s, with work hours
    ``[opens, closes)`` (minutes after local midnight) on work days."""
    tz = calendar.tz
    day, last = calendar.local_date(start), calendar.local_date(end)
    origin = clock_instant(day, 0, tz)
    midnights: list[int] = []
    day_lengths: list[int] = []
    days: list[list[int]] = [[], [], []]  # cumulative, work start, work length
    total, midnight = 0, 0
    while day <= last:
        following = day + timedelta(days=1)
        next_midnight = _us(clock_instant(following, 0, tz), origin)
        # A date with no instants of its own (a zone skipping a day) holds no work time.
        if next_midnight > midnight:
            work_start = _us(clock_instant(day, opens, tz), origin)
            length = 0
            if calendar.is_work_day(day):
                length = _us(clock_instant(day, closes, tz), origin) - work_start
            midnights.append(midnight)
            day_lengths.append(next_midnight - midnight)
            for column, value in zip(days, (total, work_start, length), strict=True):
                column.append(value)
            total += length
        day, midnight = following, next_midnight
    width = min(day_lengths)
    columns: tuple[list[int], ...] = ([], [], [], [], [], [], [])
    for k in range(_us(end, origin) // width + 1):
        bucket_end = (k + 1) * width
        before = bisect_right(midnights, k * width) - 1
        after = min(before + 1, len(midnights) - 1)
        # The midnight inside the bucket, else its end: every instant in it is before that.
        split = midnights[after] if before < after and midnights[after] < bucket_end else bucket_end
        row = (split, *(c[before] for c in days), *(c[after] for c in days))
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return WorkBuckets(origin, width, columns)


def _us(instant: datetime, origin: datetime) -> int:
    return (instant - origin) // ONE_MICROSECOND
