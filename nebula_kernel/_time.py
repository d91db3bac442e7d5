"""Instants: reading the ones people type (ISO 8601 with a time zone, or a clear error), and
the epoch microseconds the database stores them as."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from nebula_kernel.errors import InvalidRequest

__all__ = ["EPOCH", "ONE_MICROSECOND", "epoch_us", "from_epoch_us", "parse_instant"]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND: Final = timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """An aware datetime as microseconds since 1970-01-01 UTC (DuckDB's ``epoch_us``)."""
    return (moment - EPOCH) // ONE_MICROSECOND


def from_epoch_us(micros: int) -> datetime:
    """The aware UTC datetime ``micros`` microseconds after 1970-01-01 UTC."""
    return EPOCH + timedelta(microseconds=micros)


def parse_instant(text: str, name: str = "time") -> datetime:
    """``2024-05-01T12:00:00Z`` (or any ISO 8601 with an offset) as an aware datetime."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"{name}={text[:60]!r} is not an ISO 8601 time; use e.g. 2024-05-01T12:00:00Z."
        ) from None
    if moment.tzinfo is None:
        raise InvalidRequest(f"{name}={text[:60]!r} has no time zone; add Z or an offset.")
    return moment
