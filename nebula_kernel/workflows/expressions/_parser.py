"""The parser: tokens → syntax tree, by precedence climbing (Pratt), under hard limits.

Precedence, loosest first (all binary operators are left-associative except ``**``)::

    a if c else b                  conditional (right-associative)
    ??                             null-coalescing
    or  ||
    and &&
    not x                          (Python's place: `not a == b` is `not (a == b)`)
    == != < <= > >= in  not in     comparisons do not chain: `a < b < c` is a syntax error
    + -
    * / // %
    -x  +x  !x                     (`!` binds as tightly as unary minus)
    **                             right-associative; `-2 ** 2` is -4
    x.name  x?.name  x[i]  x[a:b]  x?.[i]  f(…)

Every construct recurses through :meth:`Parser.expr`, which counts nesting, so deep input fails
with :class:`ExpressionLimitExceeded` long before Python's recursion limit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Final

from nebula_kernel.errors import ExpressionLimitExceeded, ExpressionSyntaxError

from . import _ast as a
from ._lexer import Lexer, Token
from ._limits import ExpressionLimits, limit_exceeded
from ._registry import FunctionSpec
from ._source import line_column, syntax_error

__all__ = ["ParseResult", "Parser", "check_source"]

_INFIX: Final = {
    "if": 10,
    "??": 20,
    "or": 30,
    "||": 30,
    "and": 40,
    "&&": 40,
    "==": 60,
    "!=": 60,
    "<": 60,
    "<=": 60,
    ">": 60,
    ">=": 60,
    "in": 60,
    "not": 60,  # only as 'not in'
    "+": 70,
    "-": 70,
    "*": 80,
    "/": 80,
    "//": 80,
    "%": 80,
    "**": 100,
}
_NOT_BP: Final = 50
_UNARY_BP: Final = 90
_CANONICAL: Final = {"||": "or", "&&": "and"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ROOTS_TEXT: Final = "$input, $nodes.<id>, $execution and $env"

ParseResult = tuple[a.Node, int]


def check_source(source: object, limits: ExpressionLimits, what: str) -> str:
    """Refuse what no parse should look at: non-strings, oversize text, lone surrogates."""
    if not isinstance(source, str):
        raise TypeError(f"{what} source must be a str, not {type(source).__name__}")
    if len(source) > limits.max_source_length:
        raise limit_exceeded(limits, "max_source_length", length=len(source))
    m = _SURROGATE.search(source)
    if m is not None:
        raise syntax_error(source, m.start(), "lone surrogate character (not valid Unicode text)")
    return source


class Parser:
    """Parses one expression of ``source`` starting at ``pos``.

    In template mode the expression ends at ``}}`` and :meth:`parse` returns the offset just
    after it; otherwise it must end at the end of the source.
    """

    def __init__(
        self,
        source: str,
        pos: int,
        limits: ExpressionLimits,
        functions: Mapping[str, FunctionSpec],
        *,
        template: bool = False,
    ) -> None:
        self.source = source
        self.limits = limits
        self.functions = functions
        self.template = template
        self.nesting = 0
        self.count = 0
        self.lexer = Lexer(source, pos, limits)
        self.tok: Token = self.lexer.next()

    # -- plumbing ---------------------------------------------------------------------------------

    def advance(self) -> Token:
        tok = self.tok
        self.tok = self.lexer.next()
        return tok

    def error(self, offset: int, message: str, **details: Any) -> ExpressionSyntaxError:
        return syntax_error(self.source, offset, message, **details)

    def unexpected(self, expected: str) -> ExpressionSyntaxError:
        tok = self.tok
        if tok.kind == "eof" and self.template:
            return self.error(tok.start, "unterminated '{{': expected '}}'")
        return self.error(tok.start, f"expected {expected}, found {tok.describe()}")

    def expect_op(self, value: str, expected: str) -> Token:
        if not self.tok.is_op(value):
            raise self.unexpected(expected)
        return self.advance()

    def limit(self, name: str, offset: int) -> ExpressionLimitExceeded:
        line, column = line_column(self.source, offset)
        return limit_exceeded(self.limits, name, offset=offset, line=line, column=column)

    def make(self, node: a.Node) -> a.Node:
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise self.limit("max_nodes", node.pos)
        if node.depth > self.limits.max_depth:
            raise self.limit("max_depth", node.pos)
        return node

    # -- entry ------------------------------------------------------------------------------------

    def parse(self) -> ParseResult:
        node = self.expr(0)
        tok = self.tok
        if self.template:
            if tok.is_op("}") and self.source.startswith("}", tok.end):
                return node, tok.end + 1
            raise self.unexpected("'}}' to close the template expression")
        if tok.kind != "eof":
            raise self.unexpected("an operator or the end of the expression")
        return node, tok.start

    # -- expressions ------------------------------------------------------------------------------

    def expr(self, min_bp: int) -> a.Node:
        self.nesting += 1
        if self.nesting > self.limits.max_depth:
            raise self.limit("max_depth", self.tok.start)
        left = self.prefix(min_bp)
        chained_comparison = False
        while True:
            tok = self.tok
            if tok.kind not in ("op", "kw"):
                break
            bp = _INFIX.get(tok.value)
            if bp is None or bp <= min_bp:
                break
            start = tok.start
            if bp == 60:
                if chained_comparison:
                    raise self.error(
                        tok.start,
                        "comparisons do not chain; write 'a < b and b < c'",
                    )
                op = tok.value
                self.advance()
                if op == "not":
                    if not self.tok.is_kw("in"):
                        raise self.unexpected("'in' after 'not'")
                    self.advance()
                    op = "not in"
                right = self.expr(60)
                left = self.make(a.Binary(op, left, right, pos=start))
                chained_comparison = True
                continue
            chained_comparison = False
            op = _CANONICAL.get(tok.value, tok.value)
            self.advance()
            if op == "if":
                cond = self.expr(10)
                if not self.tok.is_kw("else"):
                    raise self.unexpected("'else' of the conditional 'a if condition else b'")
                self.advance()
                otherwise = self.expr(9)
                left = self.make(a.Conditional(left, cond, otherwise, pos=start))
            elif op in ("and", "or", "??"):
                right = self.expr(bp)
                left = self.make(a.Logical(op, left, right, pos=start))
            elif op == "**":
                right = self.expr(bp - 1)
                left = self.make(a.Binary(op, left, right, pos=start))
            else:
                right = self.expr(bp)
                left = self.make(a.Binary(op, left, right, pos=start))
        self.nesting -= 1
        return left

    def prefix(self, min_bp: int) -> a.Node:
        tok = self.tok
        kind, value = tok.kind, tok.value
        if kind == "num" or kind == "str":
            self.advance()
            return self.postfix(self.make(a.Literal(value, pos=tok.start)))
        if kind == "kw":
            if value in ("true", "false", "null"):
                self.advance()
                lit = {"true": True, "false": False, "null": None}[value]
                return self.postfix(self.make(a.Literal(lit, pos=tok.start)))
            if value == "not":
                if min_bp > _NOT_BP:
                    raise self.error(tok.start, "put 'not …' in parentheses here, or use '!'")
                self.advance()
                operand = self.expr(_NOT_BP)
                return self.make(a.Unary("not", operand, pos=tok.start))
            raise self.unexpected("an expression")
        if kind == "op":
            if value in ("-", "+", "!"):
                self.advance()
                operand = self.expr(_UNARY_BP)
                op = "not" if value == "!" else value
                return self.make(a.Unary(op, operand, pos=tok.start))
            if value == "(":
                self.advance()
                inner = self.expr(0)
                self.expect_op(")", "')'")
                return self.postfix(inner)
            if value == "[":
                return self.postfix(self.list_literal())
            if value == "{":
                return self.postfix(self.object_literal())
            raise self.unexpected("an expression")
        if kind == "root":
            return self.postfix(self.root(tok))
        if kind == "name":
            return self.postfix(self.call(tok))
        raise self.unexpected("an expression")

    def root(self, tok: Token) -> a.Node:
        self.advance()
        name = tok.value
        if name in a.ROOTS:
            return self.make(a.Root(name, pos=tok.start))
        if name == "nodes":
            if self.tok.is_op("."):
                self.advance()
                if self.tok.kind not in ("name", "kw"):
                    raise self.unexpected("a node id after '$nodes.'")
                node_id = self.advance().value
            elif self.tok.is_op("["):
                self.advance()
                if self.tok.kind != "str":
                    raise self.error(
                        self.tok.start,
                        'a node is named by a literal: $nodes.<id> or $nodes["<id>"] '
                        "(node references must be known before the run)",
                    )
                node_id = self.advance().value
                self.expect_op("]", "']'")
            else:
                raise self.error(self.tok.start, "'$nodes' must be followed by .<node id>")
            return self.make(a.NodeRef(node_id, pos=tok.start))
        if name in ("secrets", "secret", "credentials", "credential"):
            raise self.error(
                tok.start,
                f"unknown root '${name}': secrets are never reachable from expressions; an "
                "action receives them only through its granted capabilities",
                root=name,
            )
        raise self.error(
            tok.start, f"unknown root '${name}'; the roots are {_ROOTS_TEXT}", root=name
        )

    def call(self, tok: Token) -> a.Node:
        name = tok.value
        self.advance()
        if not self.tok.is_op("("):
            raise self.error(
                tok.start,
                f"unknown name '{name}'; data is reached through {_ROOTS_TEXT}, "
                "and a function name must be followed by '('",
                name=name,
            )
        spec = self.functions.get(name)
        if spec is None:
            hint = ""
            if len(name) <= 64:
                close = difflib.get_close_matches(name, list(self.functions), n=3)
                if close:
                    hint = "; did you mean " + " or ".join(f"{c}()" for c in close) + "?"
            raise self.error(tok.start, f"unknown function '{name}'{hint}", function=name)
        self.advance()
        args: list[a.Node] = []
        while not self.tok.is_op(")"):
            args.append(self.expr(0))
            if self.tok.is_op(","):
                self.advance()
            elif not self.tok.is_op(")"):
                raise self.unexpected("',' or ')'")
        self.advance()
        if not spec.accepts(len(args)):
            raise self.error(
                tok.start,
                f"{name}() takes {spec.arity_text()}, got {len(args)} "
                f"(signature: {spec.signature})",
                function=name,
            )
        return self.make(a.Call(name, tuple(args), pos=tok.start))

    def list_literal(self) -> a.Node:
        start = self.advance().start
        items: list[a.Node] = []
        while not self.tok.is_op("]"):
            items.append(self.expr(0))
            if self.tok.is_op(","):
                self.advance()
            elif not self.tok.is_op("]"):
                raise self.unexpected("',' or ']'")
        self.advance()
        return self.make(a.ListLit(tuple(items), pos=start))

    def object_literal(self) -> a.Node:
        start = self.advance().start
        keys: list[str] = []
        values: list[a.Node] = []
        seen: set[str] = set()
        while not self.tok.is_op("}"):
            tok = self.tok
            if tok.kind not in ("name", "kw", "str"):
                raise self.unexpected("an object key (a name or a string)")
            key = tok.value
            if key in seen:
                raise self.error(tok.start, f"duplicate key {a.quote(key)} in object literal")
            seen.add(key)
            self.advance()
            self.expect_op(":", "':' after the object key")
            keys.append(key)
            values.append(self.expr(0))
            if self.tok.is_op(","):
                self.advance()
            elif not self.tok.is_op("}"):
                raise self.unexpected("',' or '}'")
        self.advance()
        return self.make(a.ObjectLit(tuple(keys), tuple(values), pos=start))

    def postfix(self, node: a.Node) -> a.Node:
        optional_seen = False
        start = node.pos
        while True:
            tok = self.tok
            if tok.kind != "op":
                break
            if tok.value == ".":
                self.advance()
                node = self.member(node, tok.start, optional=False)
            elif tok.value == "?.":
                self.advance()
                optional_seen = True
                if self.tok.is_op("["):
                    node = self.subscript(node, tok.start, optional=True)
                else:
                    node = self.member(node, tok.start, optional=True)
            elif tok.value == "[":
                node = self.subscript(node, tok.start, optional=False)
            elif tok.value == "(":
                raise self.error(tok.start, "only library functions can be called, as name(args)")
            else:
                break
        if optional_seen:
            node = self.make(a.Chain(node, pos=start))
        return node

    def member(self, obj: a.Node, start: int, *, optional: bool) -> a.Node:
        tok = self.tok
        if tok.kind not in ("name", "kw"):
            raise self.unexpected("a key name after '.'")
        self.advance()
        if self.tok.is_op("("):
            raise self.error(
                tok.start,
                f"methods are not supported; call functions by name, e.g. {tok.value}(x, …) "
                f"instead of x.{tok.value}(…)",
            )
        return self.make(a.Member(obj, tok.value, optional, pos=start))

    def subscript(self, obj: a.Node, start: int, *, optional: bool) -> a.Node:
        self.advance()  # '['
        lo: a.Node | None = None
        if not self.tok.is_op(":"):
            lo = self.expr(0)
            if self.tok.is_op("]"):
                self.advance()
                if isinstance(lo, a.Literal) and isinstance(lo.value, str):
                    return self.make(a.Member(obj, lo.value, optional, pos=start))
                return self.make(a.Index(obj, lo, optional, pos=start))
            if not self.tok.is_op(":"):
                raise self.unexpected("']' or ':'")
        self.advance()  # ':'
        hi: a.Node | None = None
        if not self.tok.is_op("]"):
            hi = self.expr(0)
        self.expect_op("]", "']'")
        return self.make(a.Slice(obj, lo, hi, optional, pos=start))
