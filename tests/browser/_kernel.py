"""Run code in a kernel that the Jupyter server started, as a notebook would."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
from jupyter_client.blocking.client import BlockingKernelClient

from tests.browser._lab import LabServer

__all__ = ["KernelRunner"]


class KernelRunner:
    """A kernel started through the server's REST API (so it has ``JPY_PARENT_PID`` and
    ``nk.connect()`` finds the server), driven over its ZMQ channels."""

    def __init__(self, lab: LabServer) -> None:
        self.lab = lab
        self.kernel_id = ""
        self.client = BlockingKernelClient()

    def __enter__(self) -> KernelRunner:
        started = httpx.post(
            f"{self.lab.url}api/kernels", json={"name": "python3"}, headers=self.lab.headers
        )
        started.raise_for_status()
        self.kernel_id = started.json()["id"]
        self.client.load_connection_file(
            str(self.lab.runtime_dir / f"kernel-{self.kernel_id}.json")
        )
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        return self

    def run(self, source: str) -> str:
        """Execute ``source``; its stdout, or an AssertionError with the kernel's traceback."""
        out: list[str] = []
        errors: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            content = message["content"]
            if message["msg_type"] == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif message["msg_type"] == "error":
                errors.append("\n".join(content["traceback"]))

        reply = self.client.execute_interactive(source, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok", "\n".join(errors)
        return "".join(out)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.stop_channels()
        httpx.delete(f"{self.lab.url}api/kernels/{self.kernel_id}", headers=self.lab.headers)
