"""The kernel-side client: the same API against a Jupyter server's engines or embedded ones."""

from nebula_kernel.client._connect import Resources, connect, current, find_server
from nebula_kernel.client._remote import (
    RemoteChangeStream,
    RemoteResourceStore,
    RemoteSubscription,
)
from nebula_kernel.client._workflows import ExecutionHandle, Workflows
from nebula_kernel.client._workflows_actors import ActionHandle
from nebula_kernel.client._workflows_models import (
    ActionInfo,
    ExecutionInfo,
    NodeRun,
    RunResult,
    WorkflowProblem,
)

__all__ = [
    "ActionHandle",
    "ActionInfo",
    "ExecutionHandle",
    "ExecutionInfo",
    "NodeRun",
    "RunResult",
    "WorkflowProblem",
    "Workflows",
    "RemoteResourceStore",
    "RemoteChangeStream",
    "RemoteSubscription",
    "Resources",
    "connect",
    "current",
    "find_server",
]
