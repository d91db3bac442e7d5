"""The syntax tree: immutable nodes that know their depth and size, a walker and a printer.

Every node is a frozen dataclass. ``pos`` (the offset in the source) does not take part in
equality, so a tree printed with :func:`to_source` and parsed back compares equal to the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "Binary",
    "Call",
    "Chain",
    "Conditional",
    "Index",
    "ListLit",
    "Literal",
    "Logical",
    "Member",
    "Node",
    "NodeRef",
    "ObjectLit",
    "Root",
    "Slice",
    "Unary",
    "Value",
    "to_source",
    "walk",
]

Value = None | bool | int | float | str

ROOTS: Final = frozenset({"input", "execution", "env"})
ARITHMETIC: Final = frozenset({"+", "-", "*", "/", "//", "%", "**"})
COMPARISON: Final = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "not in"})
LOGICAL: Final = frozenset({"and", "or", "??"})
UNARY: Final = frozenset({"-", "+", "not"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node. ``depth`` and ``size`` are computed from the children."""

    pos: int = field(default=0, kw_only=True, compare=False, repr=False)
    depth: int = field(init=False, compare=False, repr=False)
    size: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        depth = 0
        size = 1
        for child in self.children():
            depth = max(depth, child.depth)
            size += child.size
        object.__setattr__(self, "depth", depth + 1)
        object.__setattr__(self, "size", size)

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Value


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class ObjectLit(Node):
    keys: tuple[str, ...]
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.values


@dataclass(frozen=True, slots=True)
class Root(Node):
    """``$input``, ``$execution`` or ``$env``."""

    name: str


@dataclass(frozen=True, slots=True)
class NodeRef(Node):
    """``$nodes.<node_id>``: the output record of one workflow node."""

    node_id: str


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``obj.name`` (``obj?.name`` when ``optional``): key lookup on an object."""

    obj: Node
    name: str
    optional: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.obj,)


@dataclass(frozen=True, slots=True)
class Index(Node):
    obj: Node
    index: Node
    optional: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.obj, self.index)


@dataclass(frozen=True, slots=True)
class Slice(Node):
    obj: Node
    start: Node | None
    stop: Node | None
    optional: bool = False

    def children(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.obj, self.start, self.stop) if n is not None)


@dataclass(frozen=True, slots=True)
class Chain(Node):
    """The end of a postfix chain holding an optional link: a null there makes it all null."""

    expr: Node

    def children(self) -> tuple[Node, ...]:
        return (self.expr,)


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # '-', '+', 'not' ('!' is parsed as 'not')
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # arithmetic and comparison operators, 'in', 'not in'
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Logical(Node):
    op: str  # 'and', 'or', '??' (all short-circuit)
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    """``then if cond else otherwise``."""

    then: Node
    cond: Node
    otherwise: Node

    def children(self) -> tuple[Node, ...]:
        return (self.then, self.cond, self.otherwise)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right (no recursion)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


# -- printing -------------------------------------------------------------------------------------

_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """``text`` as a double-quoted string literal of the language."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _literal(value: Value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    text = repr(value)
    return f"({text})" if text.startswith("-") else text


def _key(name: str) -> str:
    return name if _IDENT.match(name) else quote(name)


def _base(node: Node) -> str:
    """The object of a postfix operation: a number literal needs parentheses (``(0).a``)."""
    text = to_source(node)
    if isinstance(node, Literal) and type(node.value) in (int, float) and text[0] != "(":
        return f"({text})"
    return text


def to_source(node: Node) -> str:
    """Source text that parses back to an equal tree (compound operations fully parenthesized)."""
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Root):
        return f"${node.name}"
    if isinstance(node, NodeRef):
        if _IDENT.match(node.node_id):
            return f"$nodes.{node.node_id}"
        return f"$nodes[{quote(node.node_id)}]"
    if isinstance(node, ListLit):
        return "[" + ", ".join(to_source(i) for i in node.items) + "]"
    if isinstance(node, ObjectLit):
        inner = ", ".join(
            f"{_key(k)}: {to_source(v)}" for k, v in zip(node.keys, node.values, strict=True)
        )
        return "{" + inner + "}"
    if isinstance(node, Member):
        dot = "?." if node.optional else "."
        if _IDENT.match(node.name):
            return f"{_base(node.obj)}{dot}{node.name}"
        bracket = "?.[" if node.optional else "["
        return f"{_base(node.obj)}{bracket}{quote(node.name)}]"
    if isinstance(node, Index):
        bracket = "?.[" if node.optional else "["
        return f"{_base(node.obj)}{bracket}{to_source(node.index)}]"
    if isinstance(node, Slice):
        bracket = "?.[" if node.optional else "["
        start = "" if node.start is None else to_source(node.start)
        stop = "" if node.stop is None else to_source(node.stop)
        return f"{_base(node.obj)}{bracket}{start}:{stop}]"
    if isinstance(node, Chain):
        # Parenthesized: the short-circuit of an optional link stops at the chain's end.
        return f"({to_source(node.expr)})"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(to_source(a) for a in node.args) + ")"
    if isinstance(node, Unary):
        sep = " " if node.op == "not" else ""
        return f"({node.op}{sep}{to_source(node.operand)})"
    if isinstance(node, (Binary, Logical)):
        return f"({to_source(node.left)} {node.op} {to_source(node.right)})"
    if isinstance(node, Conditional):
        return (
            f"({to_source(node.then)} if {to_source(node.cond)} else {to_source(node.otherwise)})"
        )
    raise TypeError(f"not an expression node: {type(node).__name__}")
