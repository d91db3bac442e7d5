"""A tiny arithmetic language for derived fields: numbers, names, ``+ - * /`` and parentheses.

``Points - DonePoints`` or ``scope * (1 - tickIndex / (tickCount - 1))``. A name is a dotted
path (``Estimate.Hours``). The same tree compiles to SQL (fields derived per snapshot, before
aggregation) and evaluates in Python (fields derived per tick, after the summary). Nothing is
ever passed to ``eval``. A missing operand or a division by zero gives null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from nebula_kernel.lookback._sql import Sql

__all__ = ["Expr", "evaluate", "expression_names", "expression_sql", "parse_expression"]

_MAX_LENGTH = 500
_TOKEN_RE = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<op>[-+*/()]))"
)


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Name:
    path: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr


Expr = Number | Name | Negate | Binary


def parse_expression(text: str) -> Expr:
    """The tree of ``text``; :class:`ValueError` with a message for people if it is not valid."""
    if len(text) > _MAX_LENGTH:
        raise ValueError(f"an expression may have at most {_MAX_LENGTH} characters")
    parser = _Parser(list(_tokens(text)))
    expr = parser.sum()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r}; use numbers, field names, + - * / ( )")
    return expr


def _tokens(text: str) -> Iterator[str]:
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise ValueError(
                f"cannot read {text[position:].strip()[:20]!r}; use numbers, field names, "
                "+ - * / and parentheses"
            )
        yield (match.group("number") or match.group("name") or match.group("op"))
        position = match.end()


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._next = 0

    def peek(self) -> str | None:
        return self._tokens[self._next] if self._next < len(self._tokens) else None

    def _take(self) -> str:
        lexeme = self.peek()
        if lexeme is None:
            raise ValueError("the expression ends too early")
        self._next += 1
        return lexeme

    def sum(self) -> Expr:
        expr = self._product()
        while self.peek() in ("+", "-"):
            op = self._take()
            expr = Binary(op, expr, self._product())
        return expr

    def _product(self) -> Expr:
        expr = self._unary()
        while self.peek() in ("*", "/"):
            op = self._take()
            expr = Binary(op, expr, self._unary())
        return expr

    def _unary(self) -> Expr:
        lexeme = self._take()
        if lexeme == "-":
            return Negate(self._unary())
        if lexeme == "(":
            expr = self.sum()
            if self._take() != ")":
                raise ValueError("a '(' is not closed")
            return expr
        if lexeme[0].isdigit() or lexeme[0] == ".":
            return Number(float(lexeme))
        if lexeme[0].isalpha() or lexeme[0] == "_":
            return Name(lexeme)
        raise ValueError(f"unexpected {lexeme!r}")


def expression_names(expr: Expr) -> frozenset[str]:
    """Every name the expression reads."""
    if isinstance(expr, Name):
        return frozenset({expr.path})
    if isinstance(expr, Negate):
        return expression_names(expr.operand)
    if isinstance(expr, Binary):
        return expression_names(expr.left) | expression_names(expr.right)
    return frozenset()


def expression_sql(expr: Expr, column: Callable[[str], Sql]) -> Sql:
    """DOUBLE-valued SQL for ``expr``; ``column`` gives the SQL of each name."""
    if isinstance(expr, Number):
        return Sql("?::DOUBLE", (expr.value,))
    if isinstance(expr, Name):
        return column(expr.path)
    if isinstance(expr, Negate):
        return expression_sql(expr.operand, column).wrap("(-", ")")
    left = expression_sql(expr.left, column)
    right = expression_sql(expr.right, column)
    if expr.op == "/":
        return left.wrap("(", " / NULLIF(") + right + ", 0))"
    return left.wrap("(", f" {expr.op} ") + right + ")"


def evaluate(expr: Expr, env: Mapping[str, float | None]) -> float | None:
    """The value of ``expr`` with names looked up in ``env`` (absent names are null)."""
    if isinstance(expr, Number):
        return expr.value
    if isinstance(expr, Name):
        value = env.get(expr.path)
        return None if value is None else float(value)
    if isinstance(expr, Negate):
        operand = evaluate(expr.operand, env)
        return None if operand is None else -operand
    left, right = evaluate(expr.left, env), evaluate(expr.right, env)
    if left is None or right is None:
        return None
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    return None if right == 0 else left / right
