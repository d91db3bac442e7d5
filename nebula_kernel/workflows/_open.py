"""Composing a runtime from the embedded drivers: DuckDB journal, filesystem blobs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nebula_kernel.ports import BlobStore, Clock, SecretsStore
from nebula_kernel.resources import DEFAULT_STAR
from nebula_kernel.workflows._actions import ActionRegistry, Services
from nebula_kernel.workflows._capabilities import ReachLimits
from nebula_kernel.workflows._guarding import Resilience
from nebula_kernel.workflows._runtime import Runtime

if TYPE_CHECKING:
    from nebula_kernel.auth import Principal
    from nebula_kernel.resources import ResourceStore

__all__ = ["open_runtime"]


def open_runtime(
    path: str | Path | None = None,
    *,
    store: ResourceStore | None = None,
    registry: ActionRegistry | None = None,
    blobs: BlobStore | str | Path | None = None,
    secrets: SecretsStore | None = None,
    clock: Clock | None = None,
    lease_ttl_s: float = 30.0,
    spill_bytes: int = 64 * 1024,
    env: Mapping[str, Any] | None = None,
    resilience: Resilience | None = None,
    acting_as: Callable[[str], Principal] | None = None,
    reach: ReachLimits | None = None,
) -> Runtime:
    """A runtime whose journal lives in DuckDB::

        from nebula_kernel.workflows import Workflow, expr, open_runtime

        wf = Workflow("hello")
        greet = wf.node("greet", "log", message="Hello {{ $input.name }}")
        done = wf.node("done", "log", message=expr("$nodes.greet.result.message"))
        greet >> done

        async with open_runtime("runs.duckdb") as runtime:
            result = await runtime.run(wf, {"name": "Ada"})
            result.results["done"]          # {'message': 'Hello Ada'}

    With ``store`` (a resources store on DuckDB), the journal goes into the store's own
    database file (opened once), resource actions use that store, and runs started without a
    star belong to the store's default star; otherwise ``path`` names the file (default: in
    memory). ``blobs`` is a :class:`BlobStore` or a directory for big
    outputs; by default ``<file>.blobs`` beside a database file, none in memory. ``secrets``
    is where :meth:`ActionContext.secret` looks, in the store's default star. ``env`` is what
    expressions read as ``$env``: non-secret settings (never put a secret there).
    ``resilience`` adds a circuit breaker and rate limits per action. ``acting_as(star)`` is the
    principal resource actions of an execution in that star use (default: the store's own).
    ``reach`` bounds what any workflow may reach, whatever it grants itself (default: no bound).

    Close the runtime (``await runtime.aclose()``) before the store: it writes through the
    store's connection.
    """
    from nebula_kernel.drivers.blobs_fs import FsBlobStore
    from nebula_kernel.drivers.duckdb._journal import DuckDbExecutionRepo

    default_star = DEFAULT_STAR
    if store is not None:
        repo = DuckDbExecutionRepo.on(store.repo.connection_for_queries())
        owns = False
        db_path = getattr(store.repo, "path", ":memory:")
        default_star = store.default_star
    else:
        db_path = str(path) if path is not None else ":memory:"
        repo = DuckDbExecutionRepo.open(db_path)
        owns = True
    if blobs is None and db_path != ":memory:":
        blobs = Path(f"{db_path}.blobs")
    blob_store = FsBlobStore(blobs) if isinstance(blobs, (str, Path)) else blobs
    registry = registry if registry is not None else ActionRegistry.with_builtins()
    return Runtime(
        repo,
        registry=registry,
        blobs=blob_store,
        services=Services(
            store=store, functions=registry.functions, secrets=secrets, acting_as=acting_as
        ),
        clock=clock,
        lease_ttl_s=lease_ttl_s,
        spill_bytes=spill_bytes,
        owns_repo=owns,
        env=env,
        resilience=resilience,
        reach=reach,
        default_star=default_star,
    )
