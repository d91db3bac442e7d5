"""A real ``jupyter lab`` process with Nebula, and small REST helpers the browser tests use."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from nebula_server.testing import free_port

__all__ = ["LabServer", "running_lab"]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its base URL (ending in ``/``), token, root (a copy of
    ``notebooks/``), the runtime directory (kernel connection files) and its log."""

    url: str
    token: str
    root: Path
    runtime_dir: Path
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def lab_url(self) -> str:
        """JupyterLab's page, logged in by the token, with a fresh workspace."""
        return f"{self.url}lab?reset&token={self.token}"

    def api(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        """A request to Nebula's REST API (``path`` relative to ``nebula/api/v1/``)."""
        return httpx.request(
            method,
            f"{self.url}nebula/api/v1/{path}",
            json=body,
            headers={**self.headers, **headers},
            timeout=30,
        )

    def default_star(self) -> str:
        star: str = self.api("GET", "stars").raise_for_status().json()["default"]
        return star


@contextmanager
def running_lab(base: Path, log: Path, *, start_timeout_s: float = 90.0) -> Iterator[LabServer]:
    """Start ``jupyter lab`` on a free loopback port, wait until JupyterLab and Nebula answer,
    stop it on exit. Everything it writes stays under ``base`` (an empty directory): its root
    ``base/root`` (a copy of ``notebooks/``; the Nebula store goes to ``root/.nebula``), its
    runtime, config, settings and workspaces directories. Its output goes to ``log``."""
    root = base / "root"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".nebula", ".ipynb_checkpoints"))
    settings = base / "settings"
    # No "get news?" prompt over the page: it would cover what the tests click.
    notification = (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false"}')
    token = secrets.token_hex(16)
    port = free_port()
    runtime = base / "runtime"
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        # This interpreter (where Nebula is installed) with fixed arguments: nothing untrusted.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                f"--ServerApp.port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                # window.jupyterapp: tests wait for `restored` and may run commands.
                "--LabApp.expose_app_in_browser=True",
                "--ServerApp.log_level=WARN",
                # As scripts/run does: the example folder's triggers run.
                "--NebulaApp.workflow_deployments=deployed",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, runtime, log)
    try:
        _wait_until_ready(server, proc, start_timeout_s)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait_until_ready(server: LabServer, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            lab = httpx.get(server.url + "lab", headers=server.headers, timeout=5)
            nebula = httpx.get(server.url + "nebula/api/v1/stars", headers=server.headers)
            if lab.is_success and nebula.is_success:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = server.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"jupyter lab did not start (log {server.log}):\n{tail}")
        time.sleep(0.25)
