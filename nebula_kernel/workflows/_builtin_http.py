"""The built-in ``http.request`` action (httpx), gated by the ``network`` capability per host."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows._actions import ActionContext, ActionSpec, action
from nebula_kernel.workflows._capabilities import Needs

__all__ = ["HTTP_ACTIONS"]

# Bodies above this are refused rather than held in memory and journaled.
_MAX_BODY = 10 * 1024 * 1024


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    json_body: Any = None
    text_body: str | None = None
    timeout_s: float = Field(30.0, gt=0, le=600)
    expect_status: list[int] = Field(default_factory=list, description="empty: any 2xx")

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an absolute http:// or https:// URL with a host")
        return value


def _needs(inputs: RequestIn, ctx: ActionContext) -> Needs:
    host = urlsplit(inputs.url).hostname or ""
    return Needs(network=(host,))


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


@action(
    "http.request",
    capabilities={"network"},
    needs=_needs,
    description="Send an HTTP request; the response's JSON (or text) is the result.",
)
async def http_request(inputs: RequestIn, ctx: ActionContext) -> dict[str, Any]:
    import httpx

    headers = {"Idempotency-Key": ctx.idempotency_key, **inputs.headers}
    try:
        response = await ctx.services.http().request(
            inputs.method,
            inputs.url,
            headers=headers,
            params=inputs.params or None,
            json=inputs.json_body,
            content=inputs.text_body,
            timeout=inputs.timeout_s,
        )
    except httpx.TimeoutException:
        raise ActionFailed(
            f"{inputs.method} {inputs.url} timed out after {inputs.timeout_s} s.",
            error_code="http_timeout",
        ) from None
    except httpx.HTTPError as exc:
        raise ActionFailed(
            f"{inputs.method} {inputs.url} failed: {type(exc).__name__}.", error_code="http_error"
        ) from None
    ok = (
        response.status_code in inputs.expect_status
        if inputs.expect_status
        else 200 <= response.status_code < 300
    )
    if not ok:
        raise ActionFailed(
            f"{inputs.method} {inputs.url} answered {response.status_code}.",
            error_code=f"http_{response.status_code}",
            retryable=_retryable(response.status_code),
            status=response.status_code,
        )
    if len(response.content) > _MAX_BODY:
        raise ActionFailed(
            f"The response of {inputs.url} is above {_MAX_BODY} bytes.",
            error_code="http_body_too_large",
            retryable=False,
        )
    body: Any
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
    else:
        body = response.text
    return {"status": response.status_code, "headers": dict(response.headers), "body": body}


HTTP_ACTIONS: tuple[ActionSpec, ...] = (http_request,)
