"""A real ``jupyter server`` process with Nebula, shared by the suites that need one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nebula_server.testing import RunningServer, running_server

__all__ = ["RunningServer", "jupyter_server"]


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real ``jupyter server`` process with Nebula, for the whole session."""
    with running_server(tmp_path_factory.mktemp("server-root")) as server:
        yield server
