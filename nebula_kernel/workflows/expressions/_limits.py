"""The hard limits every parse and evaluation runs under, and the errors that report a breach."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from nebula_kernel.errors import ExpressionLimitExceeded

__all__ = ["DEFAULT_LIMITS", "ExpressionLimits", "limit_exceeded"]

# The evaluator and the parser recurse once per level of nesting, a few Python frames a level.
# Above this the interpreter's own recursion limit could be reached before ours, so a
# configuration that asks for more is refused outright.
_MAX_DEPTH_CEILING = 200


@dataclass(frozen=True, slots=True)
class ExpressionLimits:
    """How much one expression or template may ask for. Every field is a hard ceiling.

    Parse time: ``max_source_length`` (characters of source, template text included),
    ``max_depth`` (nesting of the syntax tree and of the parser), ``max_nodes`` (syntax-tree
    nodes), ``max_integer_bits`` (also applies to number literals).

    Evaluation time: ``max_operations`` (one per node evaluated plus one per element a function
    or operator walks, copies or compares), ``max_string_length`` and ``max_collection_size``
    (the largest string, list or object an evaluation may produce), ``max_integer_bits`` (the
    largest integer it may produce), ``max_evaluation_seconds`` (a monotonic-clock deadline
    checked during evaluation; no signals, no threads).

    A breach raises :class:`~nebula_kernel.errors.ExpressionLimitExceeded` whose ``details``
    name the limit (``limit``) and its value (``value``).
    """

    max_source_length: int = 65_536
    max_depth: int = 64
    max_nodes: int = 5_000
    max_operations: int = 1_000_000
    max_string_length: int = 1_000_000
    max_collection_size: int = 100_000
    max_integer_bits: int = 4_096
    max_evaluation_seconds: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "max_evaluation_seconds":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError("ExpressionLimits.max_evaluation_seconds must be a number")
                if not (math.isfinite(value) and value > 0):
                    raise ValueError("ExpressionLimits.max_evaluation_seconds must be positive")
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"ExpressionLimits.{f.name} must be an int")
            if value < 1:
                raise ValueError(f"ExpressionLimits.{f.name} must be at least 1, got {value}")
        if self.max_depth > _MAX_DEPTH_CEILING:
            raise ValueError(
                f"ExpressionLimits.max_depth may be at most {_MAX_DEPTH_CEILING} "
                f"(got {self.max_depth}); deeper nesting would risk Python's own recursion limit"
            )
        if self.max_integer_bits < 64:
            raise ValueError("ExpressionLimits.max_integer_bits must be at least 64")
        # Python refuses to turn integers of more than 4300 digits into text, and text into them.
        if self.max_integer_bits > 14_000:
            raise ValueError("ExpressionLimits.max_integer_bits may be at most 14000")


DEFAULT_LIMITS = ExpressionLimits()

_WHAT = {
    "max_source_length": "the source is longer than {value} characters",
    "max_depth": "nesting is deeper than {value} levels",
    "max_nodes": "the expression has more than {value} syntax nodes",
    "max_operations": "evaluation took more than {value} operations",
    "max_string_length": "a string longer than {value} characters would be produced",
    "max_collection_size": "a list or object of more than {value} items would be produced",
    "max_integer_bits": "an integer wider than {value} bits would be produced",
    "max_evaluation_seconds": "evaluation ran longer than {value} seconds",
}


def limit_exceeded(limits: ExpressionLimits, name: str, **details: Any) -> ExpressionLimitExceeded:
    """The typed error for a breach of ``limits.<name>`` (raise it)."""
    value = getattr(limits, name)
    what = _WHAT[name].format(value=value)
    where = ""
    if "line" in details and "column" in details:
        where = f" (at line {details['line']}, column {details['column']})"
    return ExpressionLimitExceeded(
        f"Expression limit {name}={value} exceeded: {what}{where}. Simplify the expression or "
        f"its data, or raise ExpressionLimits.{name}.",
        limit=name,
        value=value,
        **details,
    )
