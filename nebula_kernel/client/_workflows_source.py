"""Whatever a notebook calls a workflow, as the text the service reads: a builder, a definition,
its JSON as a dict, a ``*.workflow.yaml``/``.json`` file, or YAML/JSON text.

Text is what both modes accept (the server cannot import a kernel's objects), and reading the
file here means a path is relative to the notebook, not to the server's root.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from nebula_kernel.errors import InvalidRequest

if TYPE_CHECKING:
    from nebula_kernel.workflows import Workflow, WorkflowDefinition

__all__ = ["WorkflowLike", "WorkflowSource", "workflow_source"]

WorkflowLike: TypeAlias = "Workflow | WorkflowDefinition | Mapping[str, Any] | str | Path"
SourceFormat = Literal["yaml", "json"]


@dataclass(frozen=True, slots=True)
class WorkflowSource:
    text: str
    format: SourceFormat
    written: bool  # text someone wrote (a file, a string): its line numbers mean something


def _read_file(path: Path) -> WorkflowSource:
    from nebula_kernel.workflows._loader import WORKFLOW_SUFFIXES, format_of

    if not path.name.endswith(WORKFLOW_SUFFIXES):
        raise InvalidRequest(
            f"{path.name} is not a workflow file; name it *.workflow.yaml or *.workflow.json.",
            path=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidRequest(
            f"Could not read the workflow file {path} ({type(exc).__name__}); check the path "
            "(it is relative to the notebook's directory).",
            path=str(path),
        ) from None
    return WorkflowSource(text, format_of(path.name), written=True)


def _is_path(text: str) -> bool:
    from nebula_kernel.workflows._loader import WORKFLOW_SUFFIXES

    return "\n" not in text and text.strip().endswith(WORKFLOW_SUFFIXES)


def workflow_source(workflow: WorkflowLike) -> WorkflowSource:
    """The workflow's text and its format."""
    if isinstance(workflow, Path):
        return _read_file(workflow)
    if isinstance(workflow, str):
        if _is_path(workflow):
            return _read_file(Path(workflow.strip()))
        is_json = workflow.lstrip().startswith("{")
        return WorkflowSource(workflow, "json" if is_json else "yaml", written=True)
    if isinstance(workflow, Mapping):
        return WorkflowSource(json.dumps(dict(workflow)), "json", written=False)
    build = getattr(workflow, "build", None)
    definition = build() if callable(build) else workflow
    to_json = getattr(definition, "to_json_dict", None)
    if not callable(to_json):
        raise InvalidRequest(
            f"Cannot run a {type(workflow).__name__} as a workflow: pass a Workflow builder, a "
            "WorkflowDefinition, a *.workflow.yaml/.json path, or the workflow's YAML/JSON text."
        )
    return WorkflowSource(json.dumps(to_json()), "json", written=False)
