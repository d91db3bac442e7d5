"""Positions in source text: offset → line and column, caret snippets, the syntax error."""

from __future__ import annotations

from typing import Any

from nebula_kernel.errors import ExpressionSyntaxError

__all__ = ["line_column", "snippet", "syntax_error"]

_SNIPPET_WIDTH = 72


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset`` in ``source``."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _visible(ch: str) -> str:
    # One character out for one character in, so the caret stays under the right place.
    if ch == "\t":
        return " "
    return ch if ch.isprintable() else "?"


def snippet(source: str, offset: int) -> str:
    """The line holding ``offset`` (cut to a window around it) with a caret under it."""
    offset = max(0, min(offset, len(source)))
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    if end < 0:
        end = len(source)
    text = source[start:end].rstrip("\r")
    col = offset - start
    prefix = suffix = ""
    if len(text) > _SNIPPET_WIDTH:
        lo = max(0, min(col - _SNIPPET_WIDTH // 2, len(text) - _SNIPPET_WIDTH))
        hi = lo + _SNIPPET_WIDTH
        if lo > 0:
            prefix = "…"
        if hi < len(text):
            suffix = "…"
        text = text[lo:hi]
        col -= lo
    shown = prefix + "".join(_visible(c) for c in text) + suffix
    return f"  {shown}\n  {' ' * (len(prefix) + col)}^"


def syntax_error(source: str, offset: int, message: str, **details: Any) -> ExpressionSyntaxError:
    """An :class:`ExpressionSyntaxError` at ``offset``, with line, column and a caret snippet."""
    line, column = line_column(source, offset)
    full = f"{message} (at line {line}, column {column})\n{snippet(source, offset)}"
    return ExpressionSyntaxError(
        full, offset=offset, line=line, column=column, reason=message, **details
    )
