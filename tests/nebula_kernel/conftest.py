"""Both kinds of store behind one fixture: embedded, and a real Jupyter server's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.client import RemoteResourceStore, Resources
from tests._server import RunningServer


@pytest.fixture(params=["embedded", "remote"])
def anystore(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Resources]:
    """The same tests against both; each test gets a star of its own on the shared server."""
    star = f"test.client.s{uuid.uuid4().hex[:12]}"
    if request.param == "embedded":
        opened: Resources = nk.open_store(tmp_path / "nebula.duckdb", default_star=star)
    else:
        server: RunningServer = request.getfixturevalue("jupyter_server")
        with RemoteResourceStore(server.url, server.token) as admin:
            admin.create_star(star)
        opened = RemoteResourceStore(server.url, server.token, default_star=star)
    with opened:
        opened.define_type(
            "Task",
            json_schema={
                "type": "object",
                "properties": {"title": {"type": "string"}, "points": {"type": "integer"}},
                "required": ["title"],
            },
        )
        yield opened
