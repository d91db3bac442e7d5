"""Workflow files under the server's root, read and written through Jupyter's contents manager.

The contents manager applies Jupyter's own rules (nothing outside the root directory, no hidden
files unless allowed), and the caller must hold Jupyter's ``contents`` permission as well as
Nebula's. Only workflow files (``*.workflow.yaml|yml|json``) are reachable this way.
"""

from __future__ import annotations

from typing import Any

from jupyter_core.utils import ensure_async
from tornado.web import HTTPError

from nebula_kernel.errors import InvalidRequest
from nebula_kernel.workflows import WORKFLOW_SUFFIXES, WorkflowFormat, format_of
from nebula_server._base import NebulaHandler

__all__ = ["read_workflow_file", "save_workflow_file"]


def _checked(path: str) -> str:
    relative = path.strip().lstrip("/")
    if not relative.endswith(WORKFLOW_SUFFIXES):
        raise InvalidRequest(
            f"{relative[-80:]!r} is not a workflow file; name it *.workflow.yaml or "
            "*.workflow.json.",
        )
    return relative


async def _reachable(handler: NebulaHandler, action: str, path: str) -> Any:
    """The contents manager, once the caller may ``action`` files and ``path`` is not hidden
    (the checks Jupyter's own contents handler makes before it calls the manager)."""
    user = handler.current_user
    if not await ensure_async(handler.authorizer.is_authorized(handler, user, action, "contents")):
        raise HTTPError(403, f"You may not {action} files on this server.")
    contents: Any = handler.contents_manager  # its methods are not annotated
    if not contents.allow_hidden and await ensure_async(contents.is_hidden(path)):
        raise HTTPError(400, "Hidden files and folders cannot be used here.")
    return contents


async def read_workflow_file(handler: NebulaHandler, path: str) -> tuple[str, WorkflowFormat]:
    """The text of a workflow file and its format."""
    relative = _checked(path)
    contents = await _reachable(handler, "read", relative)
    model = await ensure_async(contents.get(relative, content=True, type="file", format="text"))
    return str(model["content"]), format_of(relative)


async def save_workflow_file(handler: NebulaHandler, path: str, source: str) -> dict[str, Any]:
    """Write a workflow file; returns the contents manager's model (without the content)."""
    relative = _checked(path)
    contents = await _reachable(handler, "write", relative)
    folder = relative.rpartition("/")[0]
    if not await ensure_async(contents.dir_exists(folder)):
        raise HTTPError(404, f"No folder {folder[-120:]!r} under the root; create it first.")
    model = {"type": "file", "format": "text", "content": source}
    saved: dict[str, Any] = await ensure_async(contents.save(model, relative))
    return saved
