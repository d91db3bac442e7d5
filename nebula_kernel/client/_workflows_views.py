"""How progress shows while a cell waits: a live widget in JupyterLab, text lines elsewhere."""

from __future__ import annotations

import os
import sys
from typing import IO

from nebula_kernel.client._workflows_progress import ExecutionProgress, ProgressView
from nebula_kernel.errors import InvalidRequest

__all__ = ["TextProgress", "choose_view"]


class TextProgress:
    """One line per node transition, and one when the execution ends (scripts, nbconvert)."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self._out = out
        self._started = False
        self._ended = False

    def _print(self, line: str) -> None:
        print(line, file=self._out or sys.stdout, flush=True)

    def __call__(self, progress: ExecutionProgress, changed: list[str]) -> None:
        if not self._started:
            self._started = True
            self._print(
                f"{progress.workflow_id} · execution {progress.execution_id}: "
                f"{len(progress.nodes)} node(s)"
            )
            changed = [n for n in changed if progress.label(progress.nodes[n]) != "queued"]
        for node_id in changed:
            node = progress.nodes[node_id]
            label = progress.label(node)
            facts = [f"attempt {node.attempts}"] if node.attempts > 1 else []
            if node.duration_ms is not None:
                facts.append(f"{node.duration_ms / 1000:.2f} s")
            if node.error and label in ("failed", "retrying"):
                facts.append(node.error)
            suffix = f" ({', '.join(facts)})" if facts else ""
            self._print(f"  {node_id}: {label}{suffix}")
        if progress.concluded and not self._ended:
            self._ended = True
            error = f": {progress.error}" if progress.error else ""
            self._print(f"{progress.workflow_id} {progress.status}{error}")


def _in_kernel_with_front_end() -> bool:
    """A kernel a front end draws widgets for: JupyterLab (the server names the session)."""
    if not os.environ.get("JPY_SESSION_NAME"):
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def choose_view(progress: bool | str | ProgressView, execution_id: str) -> ProgressView | None:
    """``True`` picks a widget in JupyterLab and text elsewhere (``NEBULA_PROGRESS=text`` or
    ``widget`` overrides); ``"text"`` or ``"widget"`` ask for one; ``False`` shows nothing; a
    view of one's own (such as ``TextProgress(sys.stderr)``) is used as it is."""
    if progress is False:
        return None
    if callable(progress):
        return progress
    mode = progress if isinstance(progress, str) else os.environ.get("NEBULA_PROGRESS", "auto")
    if mode not in ("auto", "text", "widget", "none"):
        raise InvalidRequest(f"progress={mode!r}: use True, False, 'text' or 'widget'.")
    if mode == "none":
        return None
    if mode == "widget" or (mode == "auto" and _in_kernel_with_front_end()):
        try:
            from nebula_kernel.widgets import ExecutionWidget
        except ImportError:  # anywidget is not installed: text is still progress
            return TextProgress()
        from IPython.display import display

        widget = ExecutionWidget(execution_id)
        display(widget)  # type: ignore[no-untyped-call]
        return widget.show
    return TextProgress()
