"""The live execution view: a widget whose state is an execution's node states.

``run()`` feeds it from the cell that waits (the kernel's loop is busy then); a widget made by
``execution.widget()`` follows the execution itself, applying its events on the kernel's loop
between cells, until the execution concludes or the widget is closed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from nebula_kernel._loop import on_callers_loop
from nebula_kernel.client._workflows_backend import Backend
from nebula_kernel.client._workflows_progress import ExecutionProgress, Follower

__all__ = ["ExecutionWidget"]


class ExecutionWidget(anywidget.AnyWidget):
    """An execution's nodes with their state (queued, running, retrying, done, failed, skipped,
    cancelled), attempts and durations."""

    _esm = Path(__file__).with_name("_execution.js")

    execution_id = traitlets.Unicode().tag(sync=True)
    workflow_id = traitlets.Unicode().tag(sync=True)
    status = traitlets.Unicode("running").tag(sync=True)
    error = traitlets.Unicode().tag(sync=True)
    last_seq = traitlets.Int(0).tag(sync=True)
    # One dict per node, in plan order: id, action, state, attempts, failures, duration_ms, error.
    nodes = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, execution_id: str) -> None:
        super().__init__(execution_id=execution_id)
        self._follower: Follower | None = None

    @classmethod
    def following(cls, backend: Backend, execution_id: str) -> ExecutionWidget:
        """A widget that keeps itself current until the execution concludes."""
        widget = cls(execution_id)
        widget._follower = Follower(
            backend, execution_id, widget.show, notify=on_callers_loop(widget._drain)
        )
        widget._follower.drain()  # what arrived before it was set: no notice will come again
        return widget

    def _drain(self, _: Any) -> None:
        if self._follower is not None:
            self._follower.drain()

    def show(self, progress: ExecutionProgress, changed: list[str]) -> None:
        """Show ``progress`` (the whole state: ``changed`` only says what moved)."""
        with self.hold_sync():  # one message to the browser per update
            self.workflow_id = progress.workflow_id
            self.status = progress.status
            self.error = progress.error
            self.last_seq = progress.last_seq
            self.nodes = [
                {
                    "id": node.id,
                    "action": node.action,
                    "state": progress.label(node),
                    "attempts": node.attempts,
                    "failures": node.failures,
                    "duration_ms": node.duration_ms,
                    "error": node.error,
                }
                for node in progress.nodes.values()
            ]

    def close(self) -> None:
        if self._follower is not None:
            self._follower.close()
        super().close()
