"""Read points: the moment of a star's history that every page of one query reads.

Writers only ever append snapshots (with growing ``sid``) and close open ones (setting
``valid_to`` to the commit instant, which the committer keeps strictly increasing per star). So
the store as it was at a read point is: the rows with ``sid <= sid``, where a row closed after
``at`` (the latest commit instant then visible) still counts as open. A read point travels as
the text ``"<sid>:<at in epoch microseconds>"``.

The first page has no read point yet: its statement reads the store as it is (DuckDB gives one
statement one consistent view) and computes, in the same statement, the read point it saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from nebula_kernel._time import from_epoch_us
from nebula_kernel.errors import InvalidQuery

__all__ = [
    "EVERYTHING",
    "GIVEN_POINT_SQL",
    "LATEST_POINT_SQL",
    "OPEN_END",
    "OPEN_END_SQL",
    "ReadPoint",
    "Visibility",
]

OPEN_END: Final = datetime(9999, 1, 1, tzinfo=UTC)
OPEN_END_SQL: Final = "TIMESTAMPTZ '9999-01-01 00:00:00+00'"
_TEXT: Final = re.compile(r"([0-9]{1,18}):(-?[0-9]{1,18})")
# One row (sid, at_us): the star's newest commit. Parameter: star.
LATEST_POINT_SQL: Final = (
    "SELECT coalesce(max(sid), 0) AS sid, coalesce(epoch_us(greatest(max(valid_from), "
    "max(valid_to) FILTER (WHERE valid_to < " + OPEN_END_SQL + "))), 0) AS at_us "
    "FROM snapshots WHERE star = ?"
)
# The same row for a read point the caller passed back. Parameters: sid, at_us.
GIVEN_POINT_SQL: Final = "SELECT ?::BIGINT AS sid, ?::BIGINT AS at_us"


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a statement may see: rows with ``sid <= max_sid``; closes after ``closed_by``
    read as open (``valid_to`` = 9999-01-01)."""

    max_sid: int
    closed_by: datetime


# The first page sees everything: no sid is above this, and every close is before this.
EVERYTHING: Final = Visibility(2**63 - 1, OPEN_END - timedelta(microseconds=1))


@dataclass(frozen=True, slots=True)
class ReadPoint:
    sid: int
    at_us: int

    @property
    def at(self) -> datetime:
        return from_epoch_us(self.at_us)

    @property
    def visibility(self) -> Visibility:
        return Visibility(self.sid, self.at)

    @classmethod
    def parse(cls, text: str, location: str = "read_point") -> ReadPoint:
        match = _TEXT.fullmatch(text)
        if match is None:
            raise InvalidQuery(
                f"{location}: not a read point; pass back the read_point of the first page",
                path=location,
            )
        point = cls(int(match.group(1)), int(match.group(2)))
        try:
            point.at  # noqa: B018 - the instant must be a datetime DuckDB can bind
        except OverflowError:
            raise InvalidQuery(f"{location}: read point out of range", path=location) from None
        return point

    def __str__(self) -> str:
        return f"{self.sid}:{self.at_us}"
