"""Durable workflows."""

# The package docstring is pinned by tests/nebula_kernel/workflows/expressions/test_expr_api.py;
# a worked example lives in open_runtime's docstring (_open.py).
from nebula_kernel.workflows._actions import (
    ActionContext,
    ActionRegistry,
    ActionSpec,
    Services,
    action,
)
from nebula_kernel.workflows._breaker import BreakerPolicy, CircuitBreaker
from nebula_kernel.workflows._builder import NodeHandle, Workflow, expr
from nebula_kernel.workflows._capabilities import Needs, ReachLimits
from nebula_kernel.workflows._checks import ExpressionCheck
from nebula_kernel.workflows._cron import CronTrigger, InMemoryTriggerStateRepo, TriggerStateRepo
from nebula_kernel.workflows._definition import (
    Concurrency,
    Connection,
    Grants,
    NodeDefinition,
    NodePosition,
    RetryPolicy,
    WorkflowDefinition,
)
from nebula_kernel.workflows._deployments import DeployedTrigger, Deployments
from nebula_kernel.workflows._guarding import Resilience
from nebula_kernel.workflows._inspection import (
    ExecutionDetail,
    ExecutionEvent,
    ExecutionSummary,
    NodeDetail,
    entry_json,
)
from nebula_kernel.workflows._journal import FORMAT_VERSION, JournalEntry
from nebula_kernel.workflows._loader import (
    WORKFLOW_SUFFIXES,
    WorkflowCheck,
    WorkflowFormat,
    check_workflow_text,
    format_of,
    load_workflow,
    parse_workflow,
)
from nebula_kernel.workflows._open import open_runtime
from nebula_kernel.workflows._plan import ExecutionPlan, build_plan
from nebula_kernel.workflows._ratelimit import RateLimit, RateLimiter
from nebula_kernel.workflows._replay import (
    ExecutionState,
    ExecutionStatus,
    NodeState,
    NodeStatus,
    replay,
)
from nebula_kernel.workflows._runtime import Execution, ExecutionResult, Runtime
from nebula_kernel.workflows._service import WorkflowService
from nebula_kernel.workflows._trigger_service import TriggerService
from nebula_kernel.workflows._trigger_specs import ChangeTriggerSpec, CronTriggerSpec
from nebula_kernel.workflows._triggers import ResourceChangeTrigger
from nebula_kernel.workflows._validate import Problem, find_problems, validate_workflow

__all__ = [
    "FORMAT_VERSION",
    "WORKFLOW_SUFFIXES",
    "ActionContext",
    "ActionRegistry",
    "ActionSpec",
    "BreakerPolicy",
    "ChangeTriggerSpec",
    "CircuitBreaker",
    "Concurrency",
    "Connection",
    "CronTrigger",
    "CronTriggerSpec",
    "DeployedTrigger",
    "Deployments",
    "Execution",
    "ExecutionDetail",
    "ExecutionEvent",
    "ExecutionPlan",
    "ExecutionResult",
    "ExecutionState",
    "ExecutionStatus",
    "ExecutionSummary",
    "ExpressionCheck",
    "Grants",
    "InMemoryTriggerStateRepo",
    "JournalEntry",
    "Needs",
    "ReachLimits",
    "NodeDefinition",
    "NodeDetail",
    "NodeHandle",
    "NodePosition",
    "NodeState",
    "NodeStatus",
    "Problem",
    "RateLimit",
    "RateLimiter",
    "Resilience",
    "ResourceChangeTrigger",
    "RetryPolicy",
    "Runtime",
    "Services",
    "TriggerService",
    "TriggerStateRepo",
    "Workflow",
    "WorkflowCheck",
    "WorkflowDefinition",
    "WorkflowFormat",
    "WorkflowService",
    "action",
    "build_plan",
    "check_workflow_text",
    "entry_json",
    "expr",
    "find_problems",
    "format_of",
    "load_workflow",
    "open_runtime",
    "parse_workflow",
    "replay",
    "validate_workflow",
]
