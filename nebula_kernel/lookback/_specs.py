"""The query documents of Lookback aggregations, validated at the boundary.

Models check shapes and scalar syntax (time zones, dates, metric names, expressions); the
aggregation modules then resolve field paths and filters, pointing at the same locations. Keys
are camelCase (``workDays``, ``groupBy``) as in Lumenize; snake_case names are accepted too.
Any problem becomes :class:`~nebula_kernel.errors.InvalidQuery` naming the offending field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from nebula_kernel.errors import InvalidQuery
from nebula_kernel.lookback._arith import Expr, parse_expression
from nebula_kernel.lookback._calendar import WorkCalendar, local_instant
from nebula_kernel.lookback._ticks import Granularity, TickRange

__all__ = [
    "CalendarSpec",
    "DerivedSpec",
    "HolidaySpec",
    "MetricSpec",
    "Moment",
    "OutputName",
    "QuerySpec",
    "TicksSpec",
    "WorkHoursSpec",
    "clock_instant",
    "output_names_unique",
    "parse_spec",
    "to_instant",
]

Spec = TypeVar("Spec", bound="QuerySpec")

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_METRIC_RE = re.compile(r"count|sum|min|max|avg|average|median|p(?:[1-9]\d?)(?:\.\d+)?")
_CLOCK_RE = re.compile(r"(\d{2}):(\d{2})")


class QuerySpec(BaseModel):
    """Base of every query model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def parse_spec(model: type[Spec], doc: Mapping[str, Any] | Spec, what: str) -> Spec:
    """``doc`` as ``model``, or :class:`InvalidQuery` naming the first offending field."""
    if isinstance(doc, model):
        return doc
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        problems = [(_location(e["loc"]), _message(e)) for e in exc.errors()]
        location, message = problems[0]
        raise InvalidQuery(
            f"{location}: {message} (in this {what} query)",
            path=location,
            problems=[{"path": loc, "message": msg} for loc, msg in problems],
        ) from None


def _location(loc: tuple[int | str, ...]) -> str:
    # Validators and union members add names such as 'function-after[...]' or 'HolidaySpec' to
    # the location; keys of a query are camelCase, so these are told apart and left out.
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p[:1].isupper()))]
    return ".".join(parts) or "<root>"


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field; check its spelling (keys are camelCase, e.g. workDays)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in ("missing", "value_error"):
        message += f" (got {error['input']!r:.60})"
    return message


# -- scalar checks ----------------------------------------------------------------------------


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r:.60}; use an IANA name such as 'America/Chicago' or 'UTC'"
        ) from None
    return name


def _moment(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r:.60} is not a date or time; use ISO 8601, e.g. '2011-01-31', "
            "'2011-01-31T09:00' (local) or '2011-01-31T15:00:00Z'"
        ) from None
    return text


def _work_days(names: list[str]) -> list[str]:
    for name in names:
        if name.strip().lower()[:3] not in {d[:3] for d in _WEEKDAYS}:
            raise ValueError(f"{name!r:.30} is not a weekday; use names such as 'Monday'")
    return names


def _clock(text: str) -> str:
    match = _CLOCK_RE.fullmatch(text)
    if match is None or int(match[2]) > 59 or int(match[1]) * 60 + int(match[2]) > 24 * 60:
        raise ValueError(f"{text!r:.30} is not a time of day; use 'HH:MM', e.g. '09:00'")
    return text


def _metric_name(name: str) -> str:
    if _METRIC_RE.fullmatch(name) is None:
        raise ValueError(
            f"unknown metric {name!r:.40}; use count, sum, min, max, avg, median or a "
            "percentile pNN such as p90 or p99.9"
        )
    return name


def _output_name(name: str) -> str:
    if not name or name.startswith("_") or name in ("label", "tick") or len(name) > 128:
        raise ValueError(
            "output names are 1-128 characters, do not start with '_' and are not 'label' or 'tick'"
        )
    return name


Zone = Annotated[str, AfterValidator(_zone)]
Moment = Annotated[str, AfterValidator(_moment)]
Clock = Annotated[str, AfterValidator(_clock)]
MetricName = Annotated[str, AfterValidator(_metric_name)]
OutputName = Annotated[str, AfterValidator(_output_name)]


def _expression(text: str) -> str:
    parse_expression(text)
    return text


Expression = Annotated[str, AfterValidator(_expression)]


def to_instant(text: str, tz: ZoneInfo) -> datetime:
    """A date (local midnight), a local date-time, or an instant with an offset, as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return local_instant(moment.date(), moment.time(), tz)
    return moment.astimezone(UTC)


def clock_minutes(text: str) -> int:
    """Minutes since local midnight of an ``HH:MM`` string (``24:00`` is 1440)."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def clock_instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The UTC instant ``minutes`` after local midnight of ``day`` (wall clock)."""
    day += timedelta(days=minutes // 1440)
    return local_instant(day, time(minutes % 1440 // 60, minutes % 60), tz)


# -- shared parts -----------------------------------------------------------------------------


class HolidaySpec(QuerySpec):
    """A holiday: with ``year`` one date, without it the same day every year."""

    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    year: int | None = Field(default=None, ge=1, le=9999)

    @model_validator(mode="after")
    def _exists(self) -> HolidaySpec:
        try:
            date(self.year or 2000, self.month, self.day)  # 2000 is a leap year: Feb 29 recurs
        except ValueError:
            raise ValueError(f"month {self.month} has no day {self.day}") from None
        return self


def _holiday_text(value: Any) -> Any:
    """``'YYYY-MM-DD'`` is short for ``{"year": …, "month": …, "day": …}``."""
    if not isinstance(value, str):
        return value
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r:.30} is not a date; use 'YYYY-MM-DD' or {{month, day[, year]}}"
        ) from None
    return {"year": day.year, "month": day.month, "day": day.day}


class CalendarSpec(QuerySpec):
    """The time zone and which days are work days."""

    tz: Zone = "UTC"
    work_days: Annotated[list[str], AfterValidator(_work_days)] = Field(
        default_factory=lambda: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    )
    holidays: list[Annotated[HolidaySpec, BeforeValidator(_holiday_text)]] = Field(
        default_factory=list
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def calendar(self) -> WorkCalendar:
        fixed: set[date] = set()
        recurring: set[tuple[int, int]] = set()
        for holiday in self.holidays:
            if holiday.year is None:
                recurring.add((holiday.month, holiday.day))
            else:
                fixed.add(date(holiday.year, holiday.month, holiday.day))
        weekdays = frozenset(
            [d[:3] for d in _WEEKDAYS].index(name.strip().lower()[:3]) for name in self.work_days
        )
        return WorkCalendar(self.zone, weekdays, frozenset(fixed), frozenset(recurring))


class WorkHoursSpec(CalendarSpec):
    """A calendar whose work days have hours: ``[workDayStartOn, workDayEndBefore)`` local."""

    work_day_start_on: Clock | None = None
    work_day_end_before: Clock | None = None

    def work_hours(self, default: tuple[int, int] | None) -> tuple[int, int] | None:
        if self.work_day_start_on is None and self.work_day_end_before is None:
            return default
        opens = clock_minutes(self.work_day_start_on or "00:00")
        closes = clock_minutes(self.work_day_end_before or "24:00")
        if closes <= opens:
            raise InvalidQuery(
                "workDayEndBefore: the work day must end after it starts (workDayStartOn)",
                path="workDayEndBefore",
            )
        return opens, closes


class TicksSpec(WorkHoursSpec):
    """Periods of ``granularity`` from ``start`` to ``end`` (exclusive) in ``tz``."""

    granularity: Granularity
    start: Moment
    end: Moment

    def tick_range(self) -> TickRange:
        start, end = to_instant(self.start, self.zone), to_instant(self.end, self.zone)
        if end <= start:
            raise InvalidQuery("end: end must be after start", path="end")
        return TickRange(self.granularity, start, end, self.calendar(), self.work_hours(None))


class MetricSpec(QuerySpec):
    """One aggregate: ``f`` over ``field`` of the rows (optionally only those matching
    ``filter``), named ``as``."""

    as_: OutputName = Field(alias="as")
    f: MetricName
    field: str | None = None
    filter: dict[str, Any] | None = None


class DerivedSpec(QuerySpec):
    """A field computed from others with the arithmetic of :mod:`._arith`, named ``as``."""

    as_: OutputName = Field(alias="as")
    f: Expression

    @property
    def expression(self) -> Expr:
        return parse_expression(self.f)


def output_names_unique(names: list[str], location: str) -> None:
    """:class:`InvalidQuery` unless every output name is used once."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise InvalidQuery(
                f"{location}.{index}.as: {name!r:.60} is already used; give each output its "
                "own name",
                path=f"{location}.{index}.as",
            )
        seen.add(name)
