"""The function library: every function an expression may call, by name (read-only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ._fn_data import COLLECTIONS, MATH
from ._fn_dates import DATES
from ._fn_text import JSON, STRINGS, TYPES
from ._lexer import KEYWORDS
from ._registry import FunctionSpec

__all__ = ["FUNCTIONS", "function_library"]


def function_library(specs: Iterable[FunctionSpec]) -> Mapping[str, FunctionSpec]:
    """A read-only name → spec mapping; a name given twice is a programming error."""
    table: dict[str, FunctionSpec] = {}
    for spec in specs:
        if spec.name in table:
            raise ValueError(f"function {spec.name!r} is defined twice")
        if not spec.name.isidentifier() or not spec.name.isascii() or spec.name in KEYWORDS:
            raise ValueError(f"function name {spec.name!r} is not an ASCII identifier")
        table[spec.name] = spec
    return MappingProxyType(dict(sorted(table.items())))


FUNCTIONS: Mapping[str, FunctionSpec] = function_library(
    spec for library in (STRINGS, MATH, TYPES, JSON, DATES, COLLECTIONS) for spec in library.specs
)
