"""The workflows package's public surface is deliberate, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import nebula_kernel.workflows as wf

EXPECTED = {
    "FORMAT_VERSION",
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
    "ExecutionPlan",
    "ExecutionResult",
    "ExecutionState",
    "ExecutionStatus",
    "Grants",
    "InMemoryTriggerStateRepo",
    "JournalEntry",
    "Needs",
    "ReachLimits",
    "NodeDefinition",
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
    "WorkflowDefinition",
    "action",
    "build_plan",
    "expr",
    "find_problems",
    "load_workflow",
    "open_runtime",
    "parse_workflow",
    "replay",
    "validate_workflow",
    "ExpressionCheck",
    "ExecutionDetail",
    "ExecutionEvent",
    "ExecutionSummary",
    "NodeDetail",
    "WorkflowCheck",
    "WorkflowService",
    "check_workflow_text",
    "WORKFLOW_SUFFIXES",
    "WorkflowFormat",
    "format_of",
    "entry_json",
}


def test_exported_names_are_pinned() -> None:
    assert set(wf.__all__) == EXPECTED
    for name in wf.__all__:
        assert hasattr(wf, name), name


def test_importing_workflows_does_not_import_drivers() -> None:
    code = (
        "import sys, nebula_kernel.workflows; "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'httpx', 'ruamel.yaml') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
