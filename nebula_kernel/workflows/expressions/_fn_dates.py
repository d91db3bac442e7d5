"""Date functions over ISO 8601 strings and datetimes. Deterministic: there is no clock here.

``now()`` returns the clock value the host put in the context (recorded, so a replay sees the
same value); without one it is an error. Naive datetimes and ISO strings without an offset are
taken to be UTC. Formatting uses its own fixed English names, never the process locale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ._fn_text import need_str
from ._registry import Library
from ._values import Failed, Runtime, aware, is_datetime, is_number, type_name

__all__ = ["DATES"]

DATES = Library("date")

_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_UNITS_US: Final = {
    "weeks": 7 * 86_400 * 10**6,
    "days": 86_400 * 10**6,
    "hours": 3_600 * 10**6,
    "minutes": 60 * 10**6,
    "seconds": 10**6,
    "milliseconds": 1_000,
}
_MAX_ISO_LENGTH: Final = 64


def to_datetime(value: Any, what: str = "the date") -> datetime:
    """A timezone-aware datetime from a datetime or an ISO 8601 string."""
    if is_datetime(value):
        return aware(value)
    if type(value) is str:
        text = value.strip()
        if len(text) > _MAX_ISO_LENGTH:
            raise Failed(f"{what} is not an ISO 8601 date (too long)")
        try:
            return aware(datetime.fromisoformat(text))
        except ValueError:
            raise Failed(f"{what} is not an ISO 8601 date such as 2024-05-01T12:00:00Z") from None
    raise Failed(f"{what} must be a datetime or an ISO 8601 string, not {type_name(value)}")


@DATES(
    "now",
    0,
    0,
    "now()",
    "The host's clock value for this evaluation (recorded for replay); an error if it gave none.",
)
def now(rt: Runtime) -> datetime:
    if rt.now is None:
        raise Failed(
            "no clock value is available: expressions are deterministic, so the host must pass "
            "'now' in the context; use $execution.started_at otherwise"
        )
    return aware(rt.now)


@DATES(
    "parseDate",
    1,
    1,
    "parseDate(value)",
    "A datetime from an ISO 8601 string, a datetime, or a number of seconds since 1970 (UTC).",
)
def parse_date(rt: Runtime, value: Any) -> datetime:
    if is_number(value):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise Failed("the timestamp is out of range") from None
    return to_datetime(value)


def _directive(dt: datetime, code: str) -> str:
    if code == "Y":
        return f"{dt.year:04d}"
    if code == "y":
        return f"{dt.year % 100:02d}"
    if code == "m":
        return f"{dt.month:02d}"
    if code == "d":
        return f"{dt.day:02d}"
    if code == "H":
        return f"{dt.hour:02d}"
    if code == "I":
        return f"{(dt.hour % 12) or 12:02d}"
    if code == "p":
        return "AM" if dt.hour < 12 else "PM"
    if code == "M":
        return f"{dt.minute:02d}"
    if code == "S":
        return f"{dt.second:02d}"
    if code == "f":
        return f"{dt.microsecond:06d}"
    if code == "j":
        return f"{dt.timetuple().tm_yday:03d}"
    if code == "a":
        return _DAYS[dt.weekday()][:3]
    if code == "A":
        return _DAYS[dt.weekday()]
    if code == "b":
        return _MONTHS[dt.month - 1][:3]
    if code == "B":
        return _MONTHS[dt.month - 1]
    if code == "z":
        offset = dt.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    if code == "%":
        return "%"
    raise Failed(
        f"unknown format directive %{code}; use %Y %y %m %d %H %I %p %M %S %f %j %a %A %b %B "
        "%z or %%"
    )


@DATES(
    "formatDate",
    1,
    2,
    "formatDate(date, format?)",
    "ISO 8601 text, or the date formatted with strftime-style directives (English names).",
)
def format_date(rt: Runtime, value: Any, fmt: Any = None) -> str:
    dt = to_datetime(value)
    if fmt is None:
        return dt.isoformat()
    pattern = need_str(fmt, "the format")
    rt.charge(len(pattern) >> 4)
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch != "%":
            j = pattern.find("%", i)
            j = n if j < 0 else j
            out.append(pattern[i:j])
            i = j
            continue
        if i + 1 >= n:
            raise Failed("the format ends with a lone '%'")
        out.append(_directive(dt, pattern[i + 1]))
        i += 2
    return rt.check_str("".join(out))


def _shift(value: Any, amount: Any, unit: str) -> datetime:
    dt = to_datetime(value)
    if not is_number(amount):
        raise Failed(f"the amount must be a number, not {type_name(amount)}")
    try:
        return dt + timedelta(**{unit: amount})
    except OverflowError:
        raise Failed("the resulting date is out of range") from None


@DATES("addDays", 2, 2, "addDays(date, days)", "The date moved by a number of days.")
def add_days(rt: Runtime, value: Any, amount: Any) -> datetime:
    return _shift(value, amount, "days")


@DATES("addHours", 2, 2, "addHours(date, hours)", "The date moved by a number of hours.")
def add_hours(rt: Runtime, value: Any, amount: Any) -> datetime:
    return _shift(value, amount, "hours")


@DATES("addMinutes", 2, 2, "addMinutes(date, minutes)", "The date moved by minutes.")
def add_minutes(rt: Runtime, value: Any, amount: Any) -> datetime:
    return _shift(value, amount, "minutes")


@DATES("addSeconds", 2, 2, "addSeconds(date, seconds)", "The date moved by seconds.")
def add_seconds(rt: Runtime, value: Any, amount: Any) -> datetime:
    return _shift(value, amount, "seconds")


@DATES(
    "dateDiff",
    2,
    3,
    "dateDiff(start, end, unit?)",
    "end - start in weeks, days (default), hours, minutes, seconds or milliseconds; an integer "
    "when it is a whole number of units.",
)
def date_diff(rt: Runtime, start: Any, end: Any, unit: Any = "days") -> int | float:
    name = need_str(unit, "the unit")
    if name not in _UNITS_US:
        raise Failed(f"unknown unit; use one of {', '.join(_UNITS_US)}")
    delta = to_datetime(end, "the end") - to_datetime(start, "the start")
    micros = (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds
    per = _UNITS_US[name]
    if micros % per == 0:
        return micros // per
    return micros / per
