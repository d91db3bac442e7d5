"""The actor messages: a kernel's answers to ``invoke`` and the ``actors`` call target."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from nebula_kernel.protocol import ActorFailure, Call, InvokeError, InvokeResult, client_message


def test_answers_to_an_invocation_are_told_apart_by_type() -> None:
    result = client_message({"type": "invoke_result", "id": "i1", "value": {"score": 4}})
    assert result == InvokeResult(id="i1", value={"score": 4})
    error = client_message({"type": "invoke_error", "id": "i2", "error": {"message": "boom"}})
    assert error == InvokeError(id="i2", error=ActorFailure(message="boom"))
    assert error.error.error_code == "actor_raised" and error.error.retryable


def test_calls_name_their_target() -> None:
    call = client_message({"type": "call", "id": "c", "target": "actors", "method": "register"})
    assert isinstance(call, Call) and call.target == "actors"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "invoke_error", "id": "i", "error": {"message": ""}},
        {"type": "invoke_error", "id": "i", "error": {"message": "x" * 2001}},
        {"type": "invoke_error", "id": "i", "error": {"message": "m", "error_code": "Bad Code"}},
        {"type": "invoke_error", "id": "i", "error": {"message": "m", "traceback": "..."}},
        {"type": "invoke_result", "id": "", "value": 1},
        {"type": "call", "id": "c", "target": "kernels", "method": "register"},
        {"type": "invoke", "id": "i", "action": "a"},  # server → client only
    ],
)
def test_malformed_actor_messages_are_refused(message: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        client_message(message)
