"""What a function of the library is: a pure implementation plus the facts the parser checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FunctionFailed", "FunctionSpec", "Library"]


class FunctionFailed(Exception):
    """Raised inside a function's implementation; the evaluator turns it into a typed error.

    The message should name types, never echo values (values may be private data).
    """


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function callable from expressions.

    ``impl(rt, *args)`` receives the evaluation's runtime (``charge``/``check_*`` for the limits,
    ``now`` for the host's clock value) and the evaluated arguments. It must be pure: no I/O, no
    clock of its own, no randomness, and it must never mutate its arguments.
    """

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number
    signature: str
    doc: str
    category: str

    def arity_text(self) -> str:
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument{'s' if n != 1 else ''}"
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        return f"{self.min_args} to {self.max_args} arguments"

    def accepts(self, count: int) -> bool:
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


class Library:
    """Collects the functions of one category: ``@lib("name", 1, 2, "name(a, b?)", "doc")``."""

    def __init__(self, category: str) -> None:
        self.category = category
        self.specs: list[FunctionSpec] = []

    def __call__(
        self,
        name: str,
        min_args: int,
        max_args: int | None,
        signature: str,
        doc: str,
        *,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(impl: Callable[..., Any]) -> Callable[..., Any]:
            for each in (name, *aliases):
                self.specs.append(
                    FunctionSpec(each, impl, min_args, max_args, signature, doc, self.category)
                )
            return impl

        return register
