"""The redactor: known secrets and their encodings disappear from text, values and logs."""

from __future__ import annotations

import base64
import io
import json
import logging
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nebula_kernel.errors import ActionFailed
from nebula_kernel.workflows._secrets import RedactingLogFilter, Redactor, SecretValue

TOKEN = SecretValue("api_token", "tok/en+with?odd&chars=")
SHORT = SecretValue("pin", "42")


def test_replaces_values_inside_longer_strings() -> None:
    redactor = Redactor([TOKEN])
    text = f"GET /x?auth={TOKEN.reveal()} failed; retrying with {TOKEN.reveal()}!"
    assert redactor.redact_text(text) == (
        "GET /x?auth=«redacted:api_token» failed; retrying with «redacted:api_token»!"
    )


@pytest.mark.parametrize(
    "encode",
    [
        lambda v: base64.b64encode(v.encode()).decode(),
        lambda v: base64.b64encode(v.encode()).decode().rstrip("="),
        lambda v: base64.urlsafe_b64encode(v.encode()).decode(),
        lambda v: quote(v, safe=""),
        lambda v: quote_plus(v),
        lambda v: json.dumps(v)[1:-1],
    ],
    ids=["base64", "base64-unpadded", "base64-url", "url", "url-plus", "json-escaped"],
)
def test_replaces_simple_encodings(encode: object) -> None:
    assert callable(encode)
    encoded = encode(TOKEN.reveal())
    out = Redactor([TOKEN]).redact_text(f"header: Bearer {encoded} end")
    assert out == "header: Bearer «redacted:api_token» end"


def test_redacts_nested_json_including_keys_and_secret_objects() -> None:
    redactor = Redactor([TOKEN])
    entry = {
        "node": "fetch",
        "resolved_inputs": {"headers": [("Authorization", f"Bearer {TOKEN.reveal()}")]},
        TOKEN.reveal(): [1, None, True, {"deep": [f"x{TOKEN.reveal()}y"]}],
        "object": TOKEN,
    }
    out = redactor.redact(entry)
    assert TOKEN.reveal() not in json.dumps(out)
    assert out["resolved_inputs"]["headers"][0] == ("Authorization", "Bearer «redacted:api_token»")
    assert out["«redacted:api_token»"][3] == {"deep": ["x«redacted:api_token»y"]}
    assert out["object"] == "«redacted:api_token»"
    assert out["node"] == "fetch"
    assert entry["object"] is TOKEN  # the input is left alone


def test_a_secret_containing_another_is_replaced_whole() -> None:
    inner = SecretValue("inner", "abcd1234")
    outer = SecretValue("outer", "xxabcd1234yy")
    redactor = Redactor([inner, outer])
    assert (
        redactor.redact_text("1 xxabcd1234yy 2 abcd1234") == "1 «redacted:outer» 2 «redacted:inner»"
    )


def test_short_values_are_redacted_but_not_their_encodings() -> None:
    redactor = Redactor([SHORT])
    assert redactor.redact_text("pin 42, base64 NDI") == "pin «redacted:pin», base64 NDI"


def test_secrets_added_later_are_redacted_from_then_on() -> None:
    redactor = Redactor()
    assert redactor.redact_text(TOKEN.reveal()) == TOKEN.reveal()
    redactor.add(TOKEN)
    assert redactor.redact_text(TOKEN.reveal()) == "«redacted:api_token»"
    assert TOKEN.reveal() not in repr(redactor)


def test_error_messages_redact_through_to_dict() -> None:
    error = ActionFailed(f"upstream rejected {TOKEN.reveal()}", header=TOKEN.reveal())
    shown = json.dumps(Redactor([TOKEN]).redact(error.to_dict()), ensure_ascii=False)
    assert TOKEN.reveal() not in shown and "«redacted:api_token»" in shown


def test_log_filter_redacts_message_args_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingLogFilter(Redactor([TOKEN])))
    log = logging.getLogger("nebula.test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("calling with %s", TOKEN.reveal())
        try:
            raise ValueError(f"bad token {TOKEN.reveal()}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert TOKEN.reveal() not in out
    assert out.count("«redacted:api_token»") == 2 and "ValueError" in out


@given(
    value=st.text(min_size=4, max_size=30).filter(lambda v: v.strip() == v),
    before=st.text(max_size=20),
    after=st.text(max_size=20),
)
def test_no_known_value_survives_redaction(value: str, before: str, after: str) -> None:
    redactor = Redactor([SecretValue("s", value)])
    out = redactor.redact({"text": before + value + after, "list": [value]})
    # Between the markers, nothing of the secret is left.
    for text in (out["text"], *out["list"]):
        assert all(value not in part for part in text.split("«redacted:s»"))
