"""The embedded workflows backend's lifecycle: closing leaves no task behind on its loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nebula_kernel as nk
from nebula_kernel.client._workflows_embedded import EmbeddedBackend


def test_close_cancels_what_is_left_on_the_loop_before_closing_it(tmp_path: Path) -> None:
    with nk.open_store(tmp_path / "n.duckdb") as store:
        backend = EmbeddedBackend(store)

        async def stray() -> asyncio.Task[None]:
            # A task the runtime does not know about, as a leaked one would be.
            return asyncio.get_running_loop().create_task(asyncio.sleep(3600))

        task = asyncio.run_coroutine_threadsafe(stray(), backend._loop).result()
        backend.close()

        assert backend._loop.is_closed()
        assert task.done() and task.cancelled()
