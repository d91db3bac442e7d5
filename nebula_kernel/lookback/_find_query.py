"""The ``find`` request document, as the browser, the REST API and the kernel all send it.

::

    {"find": {"_Type": "Story", "State": "Done"}, "__At": "2025-03-01T00:00:00Z",
     "fields": ["State", "Points", "_ValidFrom"], "sort": {"Points": -1},
     "start": 0, "pagesize": 100, "read_point": "1042:1740787200000000"}

``read_point`` comes from the first page's result; passing it back makes every page read the
store as it was then (see ``_read_point``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nebula_kernel.errors import InvalidQuery

__all__ = ["MAX_PAGESIZE", "FindQuery", "parse_find_query"]

MAX_PAGESIZE: Final = 10_000
MAX_SORT_KEYS: Final = 8
MAX_FIELDS: Final = 200


class FindQuery(BaseModel):
    """A Lookback ``find`` request; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    find: dict[str, Any] = Field(default_factory=dict)
    at: str | None = Field(default=None, alias="__At")
    fields: list[str] | None = Field(default=None, min_length=1, max_length=MAX_FIELDS)
    sort: dict[str, Literal[1, -1]] = Field(default_factory=dict, max_length=MAX_SORT_KEYS)
    start: int = Field(default=0, ge=0)
    pagesize: int = Field(default=100, ge=1, le=MAX_PAGESIZE)
    read_point: str | None = Field(default=None, max_length=64)


def parse_find_query(query: Mapping[str, Any] | FindQuery) -> FindQuery:
    """Validate a request document; pydantic's errors become :class:`InvalidQuery`."""
    if isinstance(query, FindQuery):
        return query
    if not isinstance(query, Mapping):
        raise InvalidQuery("query: a find query must be an object", path="query")
    try:
        return FindQuery.model_validate(dict(query))
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "query"
        if first["type"] == "extra_forbidden":
            known = ", ".join(f.alias or name for name, f in FindQuery.model_fields.items())
            message = f"{location}: unknown key; use one of {known}"
        else:
            message = f"{location}: {first['msg']}"
        raise InvalidQuery(message, path=location) from None
