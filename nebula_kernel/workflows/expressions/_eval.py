"""The evaluator: a syntax tree is turned once into nested closures, then run many times.

Each closure takes the evaluation's :class:`Runtime`. Closures of operations pay one operation
(the counter is checked against the limits every ``CHECK_EVERY`` operations, and whenever a
function pays for a bulk step), catch the internal signals of the operators and functions, and
re-raise them as typed errors carrying the position of their node.

Semantics of access (documented in the package docstring):

- ``obj.key`` / ``obj["key"]`` on an object: the value, or ``null`` when the key is absent.
- ``list[i]`` / ``string[i]``: negative indexes count from the end; out of range is ``null``.
- ``.key`` or ``[...]`` on ``null`` is an error; ``?.`` turns the whole chain into ``null``.
- on anything else (numbers, strings for ``.key``, unsupported values) it is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nebula_kernel.errors import ExpressionEvaluationError

from . import _ast as a
from ._ops import BINARY, UNARY
from ._registry import FunctionSpec
from ._values import Failed, LimitHit, Runtime, is_list, is_object, truthy, type_name

__all__ = ["Compiled", "compile_tree"]

Compiled = Callable[[Runtime], Any]


class _Short(Exception):
    """An optional link met null: the enclosing chain evaluates to null."""


def compile_tree(node: a.Node, functions: Mapping[str, FunctionSpec]) -> Compiled:
    """Turn ``node`` into a closure (recursion is bounded by the parser's depth limit)."""
    return _Compiler(functions).build(node)


def _key_error(rt: Runtime, obj: Any, key: str, pos: int) -> ExpressionEvaluationError:
    if obj is None:
        return rt.error(
            f"cannot read key {key!r} of null; use '?.' or '??' where the value may be missing",
            pos,
        )
    return rt.error(f"cannot read key {key!r} of {type_name(obj)}; keys exist only on objects", pos)


def _lookup(rt: Runtime, obj: Any, key: str, pos: int) -> Any:
    if is_object(obj):
        return obj.get(key)
    raise _key_error(rt, obj, key, pos)


def _index(rt: Runtime, obj: Any, index: Any, pos: int) -> Any:
    t = type(index)
    if is_list(obj) or type(obj) is str:
        if t is not int:
            raise rt.error(
                f"a {type_name(obj)} index must be an integer, not {type_name(index)}", pos
            )
        if -len(obj) <= index < len(obj):
            return obj[index]
        return None
    if is_object(obj):
        if t is not str:
            raise rt.error(
                f"object keys are strings; cannot index an object with {type_name(index)}", pos
            )
        return obj.get(index)
    if obj is None:
        raise rt.error("cannot index null; use '?.[…]' or '??' where the value may be missing", pos)
    raise rt.error(f"cannot index {type_name(obj)}", pos)


def _slice(rt: Runtime, obj: Any, lo: Any, hi: Any, pos: int) -> Any:
    for bound in (lo, hi):
        if bound is not None and type(bound) is not int:
            raise rt.error(f"slice bounds must be integers or null, not {type_name(bound)}", pos)
    if type(obj) is str:
        out = obj[lo:hi]
        rt.charge(len(out) >> 6)
        return out
    if is_list(obj):
        items = list(obj[lo:hi])
        rt.charge(len(items))
        return items
    if obj is None:
        raise rt.error(
            "cannot slice null; use '?.[a:b]' or '??' where the value may be missing", pos
        )
    raise rt.error(f"cannot slice {type_name(obj)}; only lists and strings have slices", pos)


class _Compiler:
    def __init__(self, functions: Mapping[str, FunctionSpec]) -> None:
        self.functions = functions

    def build(self, node: a.Node) -> Compiled:
        if isinstance(node, a.Literal):
            return self.literal(node)
        if isinstance(node, a.Root):
            return self.root(node)
        if isinstance(node, a.NodeRef):
            node_id = node.node_id

            def node_ref(rt: Runtime) -> Any:
                return rt.nodes.get(node_id)

            return node_ref
        if isinstance(node, a.Member):
            return self.member(node)
        if isinstance(node, a.Index):
            return self.index(node)
        if isinstance(node, a.Slice):
            return self.slice(node)
        if isinstance(node, a.Chain):
            return self.chain(node)
        if isinstance(node, a.ListLit):
            return self.list_literal(node)
        if isinstance(node, a.ObjectLit):
            return self.object_literal(node)
        if isinstance(node, a.Call):
            return self.call(node)
        if isinstance(node, a.Unary):
            return self.unary(node)
        if isinstance(node, a.Binary):
            return self.binary(node)
        if isinstance(node, a.Logical):
            return self.logical(node)
        if isinstance(node, a.Conditional):
            return self.conditional(node)
        raise TypeError(f"not an expression node: {type(node).__name__}")

    def literal(self, node: a.Literal) -> Compiled:
        value = node.value

        def constant(rt: Runtime) -> Any:
            return value

        return constant

    def root(self, node: a.Root) -> Compiled:
        if node.name == "input":
            return _root_input
        if node.name == "execution":
            return _root_execution
        return _root_env

    def member(self, node: a.Member) -> Compiled:
        # Fuse a run of plain (non-optional) keys into one loop: $nodes.a.result.x is one closure.
        keys: list[tuple[str, int]] = []
        current: a.Node = node
        while isinstance(current, a.Member) and not current.optional:
            keys.append((current.name, current.pos))
            current = current.obj
        keys.reverse()
        if current is node:  # an optional link
            return self.optional_member(node)
        base = self.build(current)
        path = tuple(keys)

        def lookup(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            value = base(rt)
            for key, pos in path:
                value = value.get(key) if type(value) is dict else _lookup(rt, value, key, pos)
            return value

        return lookup

    def optional_member(self, node: a.Member) -> Compiled:
        base = self.build(node.obj)
        key = node.name
        pos = node.pos

        def optional_lookup(rt: Runtime) -> Any:
            value = base(rt)
            if value is None:
                raise _Short
            return _lookup(rt, value, key, pos)

        return optional_lookup

    def index(self, node: a.Index) -> Compiled:
        base = self.build(node.obj)
        index = self.build(node.index)
        pos = node.pos
        optional = node.optional

        def subscript(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            value = base(rt)
            if value is None and optional:
                raise _Short
            return _index(rt, value, index(rt), pos)

        return subscript

    def slice(self, node: a.Slice) -> Compiled:
        base = self.build(node.obj)
        lo = None if node.start is None else self.build(node.start)
        hi = None if node.stop is None else self.build(node.stop)
        pos = node.pos
        optional = node.optional

        def slicing(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            value = base(rt)
            if value is None and optional:
                raise _Short
            start = None if lo is None else lo(rt)
            stop = None if hi is None else hi(rt)
            try:
                return _slice(rt, value, start, stop, pos)
            except LimitHit as hit:
                raise rt.limit_error(hit.name, pos) from None

        return slicing

    def chain(self, node: a.Chain) -> Compiled:
        inner = self.build(node.expr)

        def optional_chain(rt: Runtime) -> Any:
            try:
                return inner(rt)
            except _Short:
                return None

        return optional_chain

    def list_literal(self, node: a.ListLit) -> Compiled:
        items = tuple(self.build(item) for item in node.items)
        pos = node.pos

        def make_list(rt: Runtime) -> Any:
            try:
                rt.check_size(len(items))
            except LimitHit as hit:
                raise rt.limit_error(hit.name, pos) from None
            return [item(rt) for item in items]

        return make_list

    def object_literal(self, node: a.ObjectLit) -> Compiled:
        keys = node.keys
        values = tuple(self.build(v) for v in node.values)
        pos = node.pos

        def make_object(rt: Runtime) -> Any:
            try:
                rt.check_size(len(keys))
            except LimitHit as hit:
                raise rt.limit_error(hit.name, pos) from None
            return {k: v(rt) for k, v in zip(keys, values, strict=True)}

        return make_object

    def call(self, node: a.Call) -> Compiled:
        spec = self.functions[node.name]
        impl = spec.impl
        args = tuple(self.build(arg) for arg in node.args)
        name = node.name
        pos = node.pos

        def call(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            values = [arg(rt) for arg in args]
            try:
                return impl(rt, *values)
            except Failed as failed:
                raise rt.error(f"{name}(): {failed}", pos, function=name) from None
            except LimitHit as hit:
                raise rt.limit_error(hit.name, pos) from None

        return call

    def unary(self, node: a.Unary) -> Compiled:
        operand = self.build(node.operand)
        pos = node.pos
        if node.op == "not":

            def negation(rt: Runtime) -> Any:
                rt.ops += 1
                if rt.ops > rt.next_check:
                    rt.check()
                try:
                    return not truthy(operand(rt))
                except Failed as failed:
                    raise rt.error(f"not: {failed}", pos) from None

            return negation
        op = UNARY[node.op]
        symbol = node.op

        def unary(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            try:
                return op(rt, operand(rt))
            except Failed as failed:
                raise rt.error(f"unary {symbol}: {failed}", pos, operator=symbol) from None

        return unary

    def binary(self, node: a.Binary) -> Compiled:
        left = self.build(node.left)
        right = self.build(node.right)
        op = BINARY[node.op]
        symbol = node.op
        pos = node.pos

        def binary(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            x = left(rt)
            y = right(rt)
            try:
                return op(rt, x, y)
            except Failed as failed:
                raise rt.error(f"{symbol}: {failed}", pos, operator=symbol) from None
            except LimitHit as hit:
                raise rt.limit_error(hit.name, pos) from None

        return binary

    def logical(self, node: a.Logical) -> Compiled:
        left = self.build(node.left)
        right = self.build(node.right)
        pos = node.pos
        symbol = node.op

        def test(rt: Runtime, value: Any) -> bool:
            try:
                return truthy(value)
            except Failed as failed:
                raise rt.error(f"{symbol}: {failed}", pos, operator=symbol) from None

        if node.op == "??":

            def coalesce(rt: Runtime) -> Any:
                value = left(rt)
                return right(rt) if value is None else value

            return coalesce
        if node.op == "and":

            def conjunction(rt: Runtime) -> Any:
                value = left(rt)
                return right(rt) if test(rt, value) else value

            return conjunction

        def disjunction(rt: Runtime) -> Any:
            value = left(rt)
            return value if test(rt, value) else right(rt)

        return disjunction

    def conditional(self, node: a.Conditional) -> Compiled:
        then = self.build(node.then)
        cond = self.build(node.cond)
        otherwise = self.build(node.otherwise)
        pos = node.pos

        def choose(rt: Runtime) -> Any:
            rt.ops += 1
            if rt.ops > rt.next_check:
                rt.check()
            flag = cond(rt)
            try:
                chosen = truthy(flag)
            except Failed as failed:
                raise rt.error(f"if: {failed}", pos) from None
            return then(rt) if chosen else otherwise(rt)

        return choose


def _root_input(rt: Runtime) -> Any:
    return rt.input


def _root_execution(rt: Runtime) -> Any:
    return rt.execution


def _root_env(rt: Runtime) -> Any:
    return rt.env
