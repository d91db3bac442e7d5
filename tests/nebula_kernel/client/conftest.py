"""Fixtures for the client suites: a server where every user is only a viewer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.auth import Principal
from nebula_kernel.client import RemoteResourceStore, Resources
from nebula_server.testing import RunningServer, running_server


@pytest.fixture(scope="session")
def viewer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose users may only read (the one test server makes every user an owner)."""
    with running_server(
        tmp_path_factory.mktemp("viewer-root"),
        args=['--NebulaApp.default_claims={"*": "viewer"}'],
    ) as server:
        yield server


@pytest.fixture(params=["embedded", "remote"])
def viewer_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Resources]:
    if request.param == "embedded":
        viewer = Principal("vera", {"*": "viewer"})
        opened: Resources = nk.open_store(tmp_path / "nebula.duckdb", principal=viewer)
    else:
        server: RunningServer = request.getfixturevalue("viewer_server")
        opened = RemoteResourceStore(server.url, server.token)
    with opened:
        yield opened
