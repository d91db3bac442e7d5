"""Actions: typed units of work (pydantic input and output), a registry, and what they may use.

An action is an :class:`ActionSpec`: an id, an interface version, pydantic models for its input
and output, the capability kinds it may need (and a function that names the concrete needs for
given inputs), and an async ``run(inputs, ctx)``. Write one with :func:`action`::

    class AddIn(BaseModel):
        a: int
        b: int

    @action("math.add")
    async def add(inputs: AddIn, ctx: ActionContext) -> dict[str, int]:
        return {"sum": inputs.a + inputs.b}

    registry = ActionRegistry.with_builtins()
    registry.add(add)
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from nebula_kernel.errors import AlreadyExists, InvalidDefinition
from nebula_kernel.resources import DEFAULT_STAR
from nebula_kernel.workflows._capabilities import KINDS, Needs
from nebula_kernel.workflows._definition import Grants

if TYPE_CHECKING:
    import httpx

    from nebula_kernel.auth import Principal
    from nebula_kernel.ports import SecretsStore
    from nebula_kernel.resources import ResourceStore
    from nebula_kernel.workflows._secret_access import SecretBroker
    from nebula_kernel.workflows._secrets import SecretValue

__all__ = ["ActionContext", "ActionRegistry", "ActionSpec", "Services", "action"]

RunFn = Callable[[Any, "ActionContext"], Awaitable[Any]]
NeedsFn = Callable[[Any, "ActionContext"], Needs]


class Services:
    """What the runtime lends to actions: a resources store, in-process functions, HTTP, and
    the secrets store (reached only through :meth:`ActionContext.secret`).

    ``star`` is where the workflow's secrets live (the store's default star, or
    ``local.lab.default``).
    """

    def __init__(
        self,
        *,
        store: ResourceStore | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        secrets: SecretsStore | None = None,
        star: str | None = None,
        acting_as: Callable[[str], Principal] | None = None,
    ) -> None:
        self.store = store
        self.secrets = secrets
        self._acting_as = acting_as
        self.star = star or (store.default_star if store is not None else DEFAULT_STAR)
        self.functions: Mapping[str, Callable[..., Any]] = (
            functions if functions is not None else {}
        )
        self._http: httpx.AsyncClient | None = None

    def principal_for(self, star: str) -> Principal | None:
        """Who an execution of ``star`` acts as in the store (``None``: the store's own
        principal, as embedded, where the kernel's user owns the file)."""
        return self._acting_as(star) if self._acting_as is not None else None

    def http(self) -> httpx.AsyncClient:
        """One shared client (made on first use); redirects are never followed implicitly,
        because each hop must pass the network capability check."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


@dataclass(frozen=True, slots=True)
class ActionContext:
    """Facts about the attempt an action runs in, and the services it may use."""

    execution_id: str
    workflow_id: str
    node_id: str
    attempt: int
    idempotency_key: str
    grants: Grants
    action: str
    services: Services = field(repr=False)
    broker: SecretBroker = field(repr=False)
    star: str = DEFAULT_STAR  # the execution's star: where resource actions act by default
    logger: logging.Logger = field(repr=False, default=logging.getLogger("nebula.workflows"))

    @property
    def principal(self) -> Principal | None:
        """Who this attempt acts as in the resources store (see :meth:`Services.principal_for`)."""
        return self.services.principal_for(self.star)

    def secret(self, name: str) -> SecretValue:
        """The credential ``name``, if the workflow grants it (``grants.secrets``).

        Its value is redacted from this execution's journal, events and errors from now on;
        call ``.reveal()`` only where it must be sent.
        """
        return self.broker.get(name, node=self.node_id, action=self.action)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: str
    version: str
    input_model: type[BaseModel]
    run: RunFn = field(repr=False)
    output_model: type[BaseModel] | None = None
    capabilities: frozenset[str] = frozenset()
    needs: NeedsFn | None = field(default=None, repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.capabilities) - set(KINDS)
        if unknown:
            raise InvalidDefinition(
                f"Action {self.key} declares unknown capability kinds {sorted(unknown)}; use "
                f"{', '.join(KINDS)}.",
                action=self.key,
            )

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description for palettes and parameter forms."""
        return {
            "id": self.id,
            "version": self.version,
            "description": self.description,
            "capabilities": sorted(self.capabilities),
            "input_schema": self.input_model.model_json_schema(),
            "output_schema": None
            if self.output_model is None
            else self.output_model.model_json_schema(),
        }


def _models(fn: Callable[..., Any]) -> tuple[type[BaseModel], type[BaseModel] | None]:
    hints = typing.get_type_hints(fn)
    params = list(inspect.signature(fn).parameters)
    model = hints.get(params[0]) if params else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise InvalidDefinition(
            f"The first parameter of action function {fn.__name__} must be annotated with a "
            "pydantic model (its inputs).",
        )
    out = hints.get("return")
    return model, out if isinstance(out, type) and issubclass(out, BaseModel) else None


def action(
    id: str,
    *,
    version: str = "1",
    capabilities: frozenset[str] | set[str] = frozenset(),
    needs: NeedsFn | None = None,
    description: str = "",
) -> Callable[[RunFn], ActionSpec]:
    """Make an :class:`ActionSpec` of an async function ``(inputs: Model, ctx) -> output``."""

    def wrap(fn: RunFn) -> ActionSpec:
        if not inspect.iscoroutinefunction(fn):
            raise InvalidDefinition(f"Action function {fn.__name__} must be 'async def'.")
        input_model, output_model = _models(fn)
        return ActionSpec(
            id,
            version,
            input_model,
            fn,
            output_model,
            frozenset(capabilities),
            needs,
            description or inspect.getdoc(fn) or "",
        )

    return wrap


class ActionRegistry:
    """Actions by id and version, and the Python functions ``python.call`` may call."""

    def __init__(self, specs: typing.Iterable[ActionSpec] = ()) -> None:
        self._specs: dict[tuple[str, str], ActionSpec] = {}
        self._functions: dict[str, Callable[..., Any]] = {}
        for spec in specs:
            self.add(spec)

    @classmethod
    def with_builtins(cls) -> ActionRegistry:
        from nebula_kernel.workflows._builtins import BUILTINS

        return cls(BUILTINS)

    def add(self, spec: ActionSpec) -> ActionSpec:
        key = (spec.id, spec.version)
        if key in self._specs:
            raise AlreadyExists(
                f"Action {spec.key} is registered already; give the new one another version.",
                action=spec.key,
            )
        self._specs[key] = spec
        return spec

    def action(
        self,
        id: str,
        *,
        version: str = "1",
        capabilities: frozenset[str] | set[str] = frozenset(),
        needs: NeedsFn | None = None,
        description: str = "",
    ) -> Callable[[RunFn], ActionSpec]:
        """Like :func:`action`, and register the result here."""

        def wrap(fn: RunFn) -> ActionSpec:
            made = action(
                id,
                version=version,
                capabilities=capabilities,
                needs=needs,
                description=description,
            )(fn)
            return self.add(made)

        return wrap

    def function(self, fn: Callable[..., Any], *, name: str | None = None) -> Callable[..., Any]:
        """Let ``python.call`` call ``fn`` (sync or async) by ``name`` (default: its name)."""
        self._functions[name or fn.__name__] = fn
        return fn

    @property
    def functions(self) -> Mapping[str, Callable[..., Any]]:
        return self._functions

    def get(self, id: str, version: str) -> ActionSpec | None:
        return self._specs.get((id, version))

    def versions(self, id: str) -> list[str]:
        return sorted(v for i, v in self._specs if i == id)

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)
