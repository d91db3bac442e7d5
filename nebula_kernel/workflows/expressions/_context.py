"""What an expression can see: four roots of JSON-like data and an optional clock value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ExpressionContext"]

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True, repr=False)
class ExpressionContext:
    """The only data an evaluation can reach, by construction.

    - ``input``: the execution's input (``$input``), any JSON-like value.
    - ``nodes``: node id → that node's output record (``$nodes.<id>``), e.g.
      ``{"result": …, "success": True}``; ``$nodes.validate.result.email`` reads
      ``nodes["validate"]["result"]["email"]``.
    - ``execution``: facts about the run (``$execution``): id, workflow, started_at, attempt …
    - ``env``: the host's whitelist of non-secret settings (``$env``): names to JSON scalars.
    - ``now``: the clock value ``now()`` returns. Leave it ``None`` unless the value is recorded
      in the journal, since evaluation must give the same result when replayed.

    Values are JSON-like: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``/``tuple``,
    ``dict`` and ``datetime``. Anything else stays opaque: it is never inspected (no attribute
    is ever read), and every operation on it fails with ``ExpressionEvaluationError``. Secrets
    have no root: never put them in any of these fields.

    Results may share structure with the context (``$input.items`` is the very list); the
    evaluator never mutates either.
    """

    input: Any = None
    nodes: Mapping[str, Any] = field(default_factory=dict)
    execution: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("nodes", "execution", "env"):
            value = getattr(self, name)
            if not isinstance(value, Mapping):
                raise TypeError(f"ExpressionContext.{name} must be a mapping")
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"ExpressionContext.{name} keys must be strings")
            # A plain dict of our own: the evaluator's fast path, and later edits of the
            # caller's mapping do not leak into this context.
            object.__setattr__(self, name, dict(value))
        for key, value in self.env.items():
            if not isinstance(value, _SCALARS):
                raise TypeError(
                    f"ExpressionContext.env[{key!r}] must be a string, number, boolean or None"
                )
        if self.now is not None and not isinstance(self.now, datetime):
            raise TypeError("ExpressionContext.now must be a datetime or None")

    def __repr__(self) -> str:
        return (
            f"ExpressionContext(input={type(self.input).__name__}, "
            f"nodes={sorted(self.nodes)}, execution={sorted(self.execution)}, "
            f"env={sorted(self.env)}, now={self.now!r})"
        )


EMPTY_CONTEXT = ExpressionContext()
