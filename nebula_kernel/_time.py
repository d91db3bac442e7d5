"""Reading the instants people type: ISO 8601 with a time zone, or a clear error."""

from __future__ import annotations

from datetime import datetime

from nebula_kernel.errors import InvalidRequest

__all__ = ["parse_instant"]


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
