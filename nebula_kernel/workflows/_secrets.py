"""Credentials in memory: a wrapper that never prints its value, and a redactor.

A :class:`SecretValue` holds one credential. ``repr``/``str``/``format`` show only its name, and it
refuses to be pickled (a pickle would write the value wherever the bytes go). Only
:meth:`SecretValue.reveal` gives the value, at the one place that must send it (an action's HTTP
header, say).

A :class:`Redactor` knows the secrets handed out during a run and replaces each value, and its
simple encodings (base64, URL-encoding, JSON string escaping), with ``«redacted:NAME»`` in text
and in nested JSON-like values: apply it to journal entries, log records and error messages
before they are stored or shown. It cannot see a secret that was transformed in other ways
(hashed, split, or encoded together with other text, e.g. ``base64("user:" + password)``):
register such derived values as secrets of their own.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, final
from urllib.parse import quote, quote_plus

from nebula_kernel.errors import InvalidIdentifier

__all__ = ["RedactingLogFilter", "Redactor", "SecretValue", "check_secret_name", "marker"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")

# Encodings of a very short value match ordinary text all over (base64 of "ab" is "YWI"), so
# only values at least this long are also searched for in encoded form.
_MIN_ENCODED_LENGTH = 4


def check_secret_name(name: object) -> str:
    """A secret name: a letter, then up to 127 letters, digits or ``_ . -``."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidIdentifier(
            f"{str(name)[:80]!r} is not a secret name: use a letter followed by up to 127 "
            "letters, digits or '_ . -' (e.g. 'github_token').",
            name=str(name)[:200],
        )
    return name


def marker(name: str) -> str:
    """What a redacted secret reads as."""
    return f"«redacted:{name}»"


@final
class SecretValue:
    """One credential. Compares in constant time; never shows, pickles or hashes its value."""

    __slots__ = ("_value", "name")

    name: str
    _value: str

    def __init__(self, name: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a secret's value must be a str")
        object.__setattr__(self, "name", check_secret_name(name))
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The value itself: call this only where the credential is sent, never to log it."""
        return self._value

    def __setattr__(self, attr: str, value: object) -> NoReturn:
        raise AttributeError("SecretValue is immutable")

    def __repr__(self) -> str:
        return f"SecretValue(name={self.name!r}, value={marker(self.name)!r})"

    def __str__(self) -> str:
        return marker(self.name)

    def __format__(self, spec: str) -> str:
        return marker(self.name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretValue):
            return NotImplemented
        return self.name == other.name and hmac.compare_digest(
            self._value.encode(), other._value.encode()
        )

    # A hash of the value would let anyone holding the hash test guesses against it.
    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            f"Secret {self.name!r} cannot be pickled: that would write its value out. Pass the "
            "SecretValue itself, or its name."
        )

    def __copy__(self) -> SecretValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretValue:
        return self


def _variants(value: str) -> set[str]:
    """The value and the simple encodings of it that end up in logs and URLs."""
    found = {value}
    if len(value) >= _MIN_ENCODED_LENGTH:
        raw = value.encode()
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = encoded.decode("ascii")
            found.update((text, text.rstrip("=")))
        found.update((quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]))
    found.discard("")
    return found


class Redactor:
    """Replaces known secret values in text and nested values. Thread-safe."""

    def __init__(self, secrets: Iterable[SecretValue] = ()) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor({len(self._names)} patterns)"

    def add(self, secret: SecretValue) -> None:
        """Redact this secret from now on."""
        with self._lock:
            names = dict(self._names)
            for variant in _variants(secret.reveal()):
                names.setdefault(variant, secret.name)
            # Longest first, so a secret that contains another is replaced whole.
            ordered = sorted(names, key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
            self._names, self._pattern = names, pattern

    def redact_text(self, text: str) -> str:
        pattern, names = self._pattern, self._names
        if pattern is None:
            return text
        return pattern.sub(lambda m: marker(names[m.group(0)]), text)

    def redact(self, value: Any) -> Any:
        """A copy of a JSON-like value (mappings, lists, tuples, strings) with secrets replaced.

        Mapping keys are redacted too; :class:`SecretValue` objects become their marker; other
        values are returned as they are.
        """
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, SecretValue):
            return marker(value.name)
        if isinstance(value, Mapping):
            return {self.redact(k): self.redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.redact(v) for v in value)
        return value


class RedactingLogFilter(logging.Filter):
    """A logging filter that redacts a record's message, arguments and traceback text."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redactor.redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redactor.redact_text(record.stack_info)
        return True
