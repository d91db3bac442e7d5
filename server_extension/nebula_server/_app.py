"""The Jupyter server extension: hosts Nebula's engines and serves their REST API."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Dict, Float, Int, List, Unicode, default

from nebula_kernel.resources import DEFAULT_STAR
from nebula_kernel.workflows import ReachLimits
from nebula_server._engine import Engines, open_engines
from nebula_server._principals import ClaimsMap, account_name
from nebula_server._routes import ROUTES, tornado_pattern
from nebula_server.gateway import GatewayHandler
from nebula_server.handlers._openapi import OpenApiHandler

__all__ = ["NebulaApp"]


class NebulaApp(ExtensionApp):
    name = "nebula_server"

    data_dir = Unicode(
        "",
        config=True,
        help="Where Nebula keeps its DuckDB file; default: .nebula/ under the server's root.",
    )
    default_star = Unicode(
        DEFAULT_STAR, config=True, help="The star used when a request or kernel names none."
    )
    claims = Dict(
        {},
        config=True,
        help="Claims per Jupyter username: {'ann': {'acme.sales.*': 'editor'}}.",
    )
    default_claims = Dict(
        {"*": "owner"},
        config=True,
        help="Claims of users not listed in `claims`. The default suits a personal JupyterLab "
        "(the logged-in user owns every star); set {} on a shared server.",
    )
    token_holder = Unicode(
        config=True,
        help="Who callers that hold the server's shared token are, in history and in `claims` "
        "(jupyter_server gives each of them a made-up anonymous id, new per client without "
        "cookies). Default: the account running the server.",
    )
    max_document_bytes = Int(1 << 20, config=True, help="Largest resource value, as JSON bytes.")
    max_replay = Int(
        10_000,
        config=True,
        help="Most changes a resuming subscriber is sent; further behind, it is told to resync.",
    )
    workflow_lease_s = Float(
        30.0,
        config=True,
        help="How long a workflow run's lease lasts without renewal; after a crash, another "
        "server resumes the run once it lapses.",
    )
    workflow_network_hosts = List(
        Unicode(),
        default_value=None,
        allow_none=True,
        config=True,
        help="Host patterns (e.g. 'api.example.com', '*.example.com') that workflows run by this "
        "server may reach over the network, whatever they grant themselves. None (the default, "
        "for a personal JupyterLab) sets no bound beyond each workflow's grants; on a shared "
        "server list what workflows may call, so that starting one is not a way into the "
        "server's network.",
    )
    workflow_deployments = Unicode(
        "",
        config=True,
        help="A folder of workflow files (*.workflow.yaml / .json) whose `triggers` (cron "
        "schedules, resource changes) this server runs; relative to the server's root. Empty "
        "(the default): none.",
    )
    reaper_interval_s = Float(
        5.0, config=True, help="How often to look for workflow runs whose lease lapsed."
    )
    freeze_gc = Bool(
        True,
        config=True,
        help="Move the objects alive after start-up out of the garbage collector's reach, so "
        "full collections stay short while events fan out to many sockets.",
    )
    full_gc_threshold = Int(
        100,
        config=True,
        help="Middle-generation collections between two full ones (Python's default is 10; 0 "
        "leaves the collector's setting alone). Each full collection walks every object the "
        "server made since start-up, ~100 ms with 1,000 live sockets, and delays every event "
        "in flight; rarer ones keep the fan-out's tail latency low.",
    )

    engines: Engines | None = None

    @default("token_holder")
    def _token_holder_default(self) -> str:
        return account_name()

    def _database_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir) / "nebula.duckdb"
        assert self.serverapp is not None  # set by the server before it initializes extensions
        return Path(self.serverapp.root_dir) / ".nebula" / "nebula.duckdb"

    def initialize_settings(self) -> None:
        claims = ClaimsMap(self.claims, self.default_claims, token_holder=self.token_holder)
        self.engines = open_engines(
            self._database_path(),
            claims,
            default_star=self.default_star,
            max_document_bytes=self.max_document_bytes,
            max_replay=self.max_replay,
            lease_ttl_s=self.workflow_lease_s,
            reach=ReachLimits(
                network=None
                if self.workflow_network_hosts is None
                else tuple(self.workflow_network_hosts)
            ),
            deployments=self._deployments_folder(),
            report=lambda problem: self.log.error("Nebula did not deploy %s", problem),
        )
        self.settings["nebula_engines"] = self.engines
        # The runtime lives on the server's event loop; the reaper starts once the loop runs.
        IOLoop.current().add_callback(self.engines.start, self.reaper_interval_s)
        self.log.info("Nebula store and workflow journal at %s", self.engines.path)

    def _deployments_folder(self) -> Path | None:
        if not self.workflow_deployments:
            return None
        assert self.serverapp is not None
        return Path(self.serverapp.root_dir) / self.workflow_deployments

    def initialize_handlers(self) -> None:
        handlers: list[tuple[str, Any]] = [
            (tornado_pattern(route.path), route.handler) for route in ROUTES
        ]
        handlers.append((tornado_pattern("/openapi.json"), OpenApiHandler))
        handlers.append((tornado_pattern("/live"), GatewayHandler))
        self.handlers.extend(handlers)
        if self.freeze_gc:
            # Fan-out makes short-lived garbage at a high rate; without this every full
            # collection walks the whole server's heap (~90 ms pauses seen with 1,000 sockets).
            gc.freeze()
        if self.full_gc_threshold > 0:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, self.full_gc_threshold)

    async def stop_extension(self) -> None:
        if self.engines is not None:
            engines, self.engines = self.engines, None
            await engines.aclose()
