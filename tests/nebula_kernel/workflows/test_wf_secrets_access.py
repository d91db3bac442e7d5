"""Secrets reach an action only through its grant, and never reach the journal."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from nebula_kernel.drivers.secrets_local import LocalSecretsStore, SecretKey
from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows import (
    ActionContext,
    ActionRegistry,
    ExecutionResult,
    Grants,
    Workflow,
    open_runtime,
)
from nebula_kernel.workflows._secrets import SecretValue

TOKEN = "s3cr3t-token-value"


class _In(BaseModel):
    name: str
    leak: str = "output"


def _registry() -> ActionRegistry:
    registry = ActionRegistry.with_builtins()

    @registry.action("test.use_secret", capabilities={"secrets"})
    async def use(inputs: _In, ctx: ActionContext) -> dict[str, Any]:
        value = ctx.secret(inputs.name).reveal()
        if inputs.leak == "error":
            raise ActionFailed(f"the server refused {value}", retryable=False)
        return {"header": f"Bearer {value}"}

    return registry


def _run(tmp_path: Path, grants: Grants, leak: str) -> tuple[ExecutionResult, str]:
    secrets = LocalSecretsStore(tmp_path / "secrets.json", key=SecretKey.generate())
    secrets.put("local.lab.default", SecretValue("api_token", TOKEN))
    wf = Workflow("secret", grants=grants)
    wf.node("use", "test.use_secret", name="api_token", leak=leak)

    async def main() -> tuple[ExecutionResult, str]:
        async with open_runtime(registry=_registry(), secrets=secrets) as runtime:
            result = await runtime.run(wf)
            text = json.dumps([e.to_json() for e in runtime.journal(result.execution_id)])
            return result, text

    return asyncio.run(main())


def test_a_granted_secret_is_used_and_redacted_from_outputs(tmp_path: Path) -> None:
    result, journal = _run(tmp_path, Grants(secrets=("api_token",)), "output")
    assert result.ok, result.error
    assert result.results["use"] == {"header": "Bearer «redacted:api_token»"}
    assert TOKEN not in journal


def test_a_secret_in_an_error_message_is_redacted(tmp_path: Path) -> None:
    result, journal = _run(tmp_path, Grants(secrets=("api_*",)), "error")
    assert result.error is not None
    assert result.error["message"] == "the server refused «redacted:api_token»"
    assert TOKEN not in journal


def test_an_ungranted_secret_is_refused(tmp_path: Path) -> None:
    result, journal = _run(tmp_path, Grants(secrets=("other",)), "output")
    assert result.error is not None and result.error["code"] == "capability_denied"
    assert "grants.secrets" in result.error["message"]
    assert TOKEN not in journal
