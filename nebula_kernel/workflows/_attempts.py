"""Running one node: resolve its inputs, check its capabilities, run attempts with retries.

Each attempt is journaled as ``attempt_started`` (with the idempotency key and the resolved
inputs) before the action runs, then ``attempt_completed`` or ``attempt_failed``. The
idempotency key depends only on the execution and the node, so an attempt that re-runs after a
crash presents the same key to the outside world.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from nebula_kernel.errors import ActionFailed, FieldError, InvalidDefinition, NebulaError
from nebula_kernel.ports import BlobStore, Clock
from nebula_kernel.workflows._actions import (
    ActionContext,
    ActionRegistry,
    ActionSpec,
    Services,
)
from nebula_kernel.workflows._attempt_policy import error_code, retry_delay
from nebula_kernel.workflows._capabilities import ReachLimits, check_needs
from nebula_kernel.workflows._guarding import Resilience
from nebula_kernel.workflows._journal import (
    ATTEMPT_COMPLETED,
    ATTEMPT_FAILED,
    ATTEMPT_STARTED,
    body_with,
    dumps,
    load_value,
    store_value,
)
from nebula_kernel.workflows._params import CompiledParameters, compile_parameters
from nebula_kernel.workflows._plan import ExecutionPlan, PlannedNode
from nebula_kernel.workflows._replay import ExecutionState, NodeStatus
from nebula_kernel.workflows._secret_access import SecretBroker
from nebula_kernel.workflows._writer import JournalWriter
from nebula_kernel.workflows.expressions import ExpressionContext

__all__ = [
    "MAX_INTERRUPTIONS",
    "AttemptRunner",
    "NodeFailure",
    "NodeRun",
    "describe_error",
    "idempotency_key",
]

# A node whose attempts keep dying with their worker may be what kills it: stop re-running it.
MAX_INTERRUPTIONS = 3
_MESSAGE_LIMIT = 2_000


def idempotency_key(execution_id: str, node_id: str) -> str:
    return f"{execution_id}/{node_id}"


@dataclass(frozen=True, slots=True)
class NodeFailure:
    error: dict[str, Any]


@dataclass(slots=True)
class NodeRun:
    node: PlannedNode
    spec: ActionSpec
    params: CompiledParameters
    key: str
    status: NodeStatus
    attempts: int = 0
    failures: int = 0
    interrupted: int = 0
    result: Any = None
    error: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        """What ``$nodes.<id>`` shows."""
        return {
            "result": self.result,
            "success": self.status is NodeStatus.COMPLETED,
            "status": self.status.value,
        }


def describe_error(error: BaseException) -> dict[str, Any]:
    if isinstance(error, NebulaError):
        message = error.message
    elif isinstance(error, TimeoutError):
        message = "the attempt timed out"
    else:
        message = f"{type(error).__name__}: {error}"
    return {"code": error_code(error), "message": message[:_MESSAGE_LIMIT]}


def _invalid_inputs(spec: ActionSpec, exc: ValidationError) -> NebulaError:
    from nebula_kernel.errors import ValidationFailed

    errors = [FieldError(tuple(e["loc"]), e["msg"], e["type"]) for e in exc.errors()]
    listed = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
    return ValidationFailed(f"The inputs do not fit {spec.key}: {listed}.", errors)


class AttemptRunner:
    """Everything attempts of one execution share."""

    def __init__(
        self,
        *,
        execution_id: str,
        star: str,
        plan: ExecutionPlan,
        input: Any,
        started_at: datetime,
        registry: ActionRegistry,
        services: Services,
        writer: JournalWriter,
        blobs: BlobStore | None,
        spill_bytes: int,
        clock: Clock,
        rng: random.Random,
        env: Mapping[str, Any],
        resilience: Resilience,
        reach: ReachLimits,
    ) -> None:
        self.execution_id = execution_id
        self.star = star
        self.plan = plan
        self.input = input
        self.env = env
        self._resilience = resilience
        self._reach = reach
        self.execution_facts = {
            "id": execution_id,
            "workflow_id": plan.workflow_id,
            "workflow_version": plan.workflow_version,
            "star": star,
            "started_at": started_at.isoformat(),
        }
        self._registry = registry
        self._services = services
        self._writer = writer
        self._blobs = blobs
        self._spill = spill_bytes
        self._clock = clock
        self._rng = rng
        self._broker = SecretBroker(services.secrets, services.star, plan.grants)

    def prepare(self, node: PlannedNode, state: ExecutionState | None) -> NodeRun:
        spec = self._registry.get(node.action, node.version)
        if spec is None:
            raise InvalidDefinition(
                f"Node {node.id!r} uses action {node.action}@{node.version}, which this runtime "
                "does not have; register it before running or resuming this workflow.",
                node=node.id,
            )
        run = NodeRun(
            node,
            spec,
            compile_parameters(node.parameters),
            idempotency_key(self.execution_id, node.id),
            NodeStatus.PENDING,
        )
        if state is None:
            return run
        seen = state.nodes[node.id]
        run.attempts, run.failures, run.interrupted = seen.attempts, seen.failures, seen.interrupted
        if seen.status is NodeStatus.COMPLETED:
            assert seen.body is not None
            run.status = NodeStatus.COMPLETED
            run.result = load_value(seen.body, "output", self._blobs)
        elif seen.status is NodeStatus.SKIPPED:
            run.status = NodeStatus.SKIPPED
        elif seen.status is NodeStatus.FAILED:
            assert seen.body is not None
            run.status = NodeStatus.FAILED
            run.error = seen.body.get("error")
        elif seen.status is NodeStatus.RUNNING:
            run.interrupted += 1
        return run

    def _append(self, kind: str, run: NodeRun, body: str) -> None:
        self._writer.append(
            self.execution_id, kind, body, self._clock.now(), node=run.node.id, attempt=run.attempts
        )

    async def run(
        self, run: NodeRun, nodes_for: Callable[[tuple[str, ...]], dict[str, Any]]
    ) -> NodeFailure | None:
        """Attempt ``run`` until it completes (``None``) or fails for good."""
        if run.interrupted >= MAX_INTERRUPTIONS:
            return self._give_up(
                run,
                {
                    "code": "interrupted",
                    "message": f"node {run.node.id!r} was interrupted {run.interrupted} times (its "
                    "worker stopped each time); it may be what stops it, so it is not run again",
                },
            )
        policy = run.node.retry
        while True:
            run.attempts += 1
            started = time.perf_counter()
            try:
                output, bytes_in, encoded = await self._attempt(run, nodes_for)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                run.failures += 1
                delay = retry_delay(policy, exc, run.failures, self._rng)
                error = describe_error(exc)
                if self._broker.used:
                    error["message"] = self._broker.redactor.redact_text(error["message"])
                self._append(
                    ATTEMPT_FAILED,
                    run,
                    dumps(
                        {
                            "error": error,
                            "will_retry": delay is not None,
                            "duration_s": time.perf_counter() - started,
                        }
                    ),
                )
                if delay is None:
                    return self._give_up(run, error)
                await asyncio.sleep(delay)
                continue
            name, value = store_value("output", encoded, self._blobs, self._spill)
            self._append(
                ATTEMPT_COMPLETED,
                run,
                body_with(
                    {
                        name: value,
                        "duration_s": time.perf_counter() - started,
                        "bytes_in": bytes_in,
                        "bytes_out": len(encoded),
                    }
                ),
            )
            run.status = NodeStatus.COMPLETED
            run.result = output
            return None

    @staticmethod
    def _give_up(run: NodeRun, error: dict[str, Any]) -> NodeFailure:
        run.status = NodeStatus.FAILED
        run.error = error
        return NodeFailure(error)

    async def _attempt(
        self, run: NodeRun, nodes_for: Callable[[tuple[str, ...]], dict[str, Any]]
    ) -> tuple[Any, int, str]:
        spec = run.spec
        context = None
        if not run.params.is_static:
            context = ExpressionContext(
                input=self.input,
                nodes=nodes_for(run.params.references),
                execution=self.execution_facts,
                env=self.env,
            )
        raw = run.params.resolve(context)
        encoded_in = dumps(raw)
        name, value = store_value("inputs", encoded_in, self._blobs, self._spill)
        self._append(ATTEMPT_STARTED, run, body_with({"idempotency_key": run.key, name: value}))
        try:
            inputs = spec.input_model.model_validate(raw)
        except ValidationError as exc:
            raise _invalid_inputs(spec, exc) from None
        ctx = ActionContext(
            self.execution_id,
            self.plan.workflow_id,
            run.node.id,
            run.attempts,
            run.key,
            self.plan.grants,
            spec.key,
            self._services,
            self._broker,
            self.star,
        )
        if spec.needs is not None:
            needs = spec.needs(inputs, ctx)
            check_needs(needs, self.plan.grants, node=run.node.id, action=spec.key)
            self._reach.check(needs, node=run.node.id, action=spec.key)
        async with self._resilience.guard(spec.key):
            if run.node.timeout_s is None:
                out = await spec.run(inputs, ctx)
            else:
                async with asyncio.timeout(run.node.timeout_s):
                    out = await spec.run(inputs, ctx)
        output = self._output(spec, out)
        if self._broker.used:
            output = self._broker.redactor.redact(output)
        try:
            encoded = dumps(output)
        except (TypeError, ValueError):
            raise ActionFailed(
                f"{spec.key} returned a value that is not JSON ({type(output).__name__}); "
                "return dicts, lists, strings, numbers, booleans or None.",
                error_code="output_not_json",
                retryable=False,
            ) from None
        return output, len(encoded_in), encoded

    @staticmethod
    def _output(spec: ActionSpec, out: Any) -> Any:
        if spec.output_model is not None and not isinstance(out, spec.output_model):
            try:
                out = spec.output_model.model_validate(out)
            except ValidationError as exc:
                raise ActionFailed(
                    f"{spec.key} returned an output that does not fit its model: "
                    f"{exc.error_count()} error(s).",
                    error_code="invalid_output",
                    retryable=False,
                ) from None
        if isinstance(out, BaseModel):
            return out.model_dump(mode="json")
        return out
