"""A real Jupyter server with Nebula in a subprocess, for test suites and benchmarks.

with running_server(tmp_dir) as server:
    httpx.get(server.url + "nebula/api/v1/stars", headers=server.headers)
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["RunningServer", "free_port", "running_server"]


@dataclass(frozen=True)
class RunningServer:
    url: str
    port: int
    token: str
    pid: int
    runtime_dir: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


def free_port() -> int:
    """A loopback TCP port free at this moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    root: Path, *, args: Sequence[str] = (), start_timeout_s: float = 60.0
) -> Iterator[RunningServer]:
    """Start ``jupyter server`` on a free loopback port with ``root`` as its root (its runtime
    and config directories inside it), wait until Nebula answers, stop it on exit."""
    token = secrets.token_hex(16)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
    }
    # The server's log goes to a file, not a pipe: a pipe nobody drains fills up after a few
    # hundred warnings, and then the server blocks writing its next log line.
    with tempfile.TemporaryFile() as log:
        # This interpreter (where Nebula is installed) with fixed arguments: nothing untrusted.
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                f"--ServerApp.port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.log_level=WARN",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
        server = RunningServer(f"http://127.0.0.1:{port}/", port, token, proc.pid, root / "runtime")
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                try:
                    ready = httpx.get(server.url + "nebula/api/v1/stars", headers=server.headers)
                    if ready.is_success:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    log.seek(0)
                    err = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"jupyter server did not start: {err}")
                time.sleep(0.2)
            yield server
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
