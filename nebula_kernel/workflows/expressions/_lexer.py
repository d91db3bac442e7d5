"""The tokenizer: source text → tokens, on demand (the parser pulls one token at a time).

Pulling lazily lets a template hand the parser the text just after ``{{`` and take back control
at the closing ``}}`` without the tokenizer ever looking at the literal text that follows.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from ._limits import ExpressionLimits, limit_exceeded
from ._source import line_column, syntax_error

__all__ = ["KEYWORDS", "Lexer", "Token"]

KEYWORDS: Final = frozenset({"and", "or", "not", "in", "if", "else", "true", "false", "null"})

# Longest first, so '**' wins over '*', '?.' over '?' and so on.
_OPERATORS: Final = (
    "**", "//", "==", "!=", "<=", ">=", "&&", "||", "??", "?.",
    "+", "-", "*", "/", "%", "<", ">", "!", "(", ")", "[", "]", "{", "}", ",", ":", ".",
)  # fmt: skip
_OP_BY_FIRST: Final = {c: tuple(op for op in _OPERATORS if op[0] == c) for c in "".join(_OPERATORS)}

_MISTAKES: Final = {
    "=": "'=' is not an operator here; use '==' to compare",
    "&": "'&' is not an operator; use '&&' or 'and'",
    "|": "'|' is not an operator; use '||' or 'or'",
    "?": "'?' alone is not an operator; conditionals are written 'a if condition else b'",
    "`": "backticks are not string quotes; use '…' or \"…\"",
    "#": "comments are not supported",
    ";": "an expression is a single expression; ';' is not allowed",
}

_WS = re.compile(r"[ \t\r\n]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_PLAIN = {
    '"': re.compile(r'[^"\\\x00-\x1f\x7f]+'),
    "'": re.compile(r"[^'\\\x00-\x1f\x7f]+"),
}
_SIMPLE_ESCAPES: Final = {
    "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0",
    "\\": "\\", "'": "'", '"': '"', "/": "/",
}  # fmt: skip
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_HEXBRACE = re.compile(r"\{([0-9A-Fa-f]{1,6})\}")
_LOG10_2: Final = math.log10(2)


class Token:
    """One token. ``kind`` is one of ``num str name kw root op eof``."""

    __slots__ = ("end", "kind", "start", "value")

    def __init__(self, kind: str, value: Any, start: int, end: int) -> None:
        self.kind = kind
        self.value = value
        self.start = start
        self.end = end

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind == "eof":
            return "end of expression"
        if self.kind == "str":
            return "a string"
        if self.kind == "num":
            return "a number"
        if self.kind == "root":
            return f"'${self.value}'"
        return f"'{self.value}'"

    def is_op(self, value: str) -> bool:
        return self.kind == "op" and self.value == value

    def is_kw(self, value: str) -> bool:
        return self.kind == "kw" and self.value == value

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r}, {self.start})"


class Lexer:
    """Produces tokens from ``source`` starting at ``pos``; never raises anything untyped."""

    __slots__ = ("_max_digits", "limits", "pos", "source")

    def __init__(self, source: str, pos: int, limits: ExpressionLimits) -> None:
        self.source = source
        self.pos = pos
        self.limits = limits
        self._max_digits = int(limits.max_integer_bits * _LOG10_2) + 2

    def error(self, offset: int, message: str, **details: Any) -> Exception:
        return syntax_error(self.source, offset, message, **details)

    def next(self) -> Token:
        src = self.source
        m = _WS.match(src, self.pos)
        if m:
            self.pos = m.end()
        pos = self.pos
        if pos >= len(src):
            return Token("eof", None, pos, pos)
        ch = src[pos]
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(src, pos)
            assert m is not None
            self.pos = m.end()
            word = m.group()
            return Token("kw" if word in KEYWORDS else "name", word, pos, self.pos)
        if ch.isascii() and ch.isdigit():
            return self._number(pos)
        if ch in "\"'":
            return self._string(pos, ch)
        if ch == "$":
            m = _NAME.match(src, pos + 1)
            if m is None:
                raise self.error(pos, "'$' must be followed by a root name such as $input")
            self.pos = m.end()
            return Token("root", m.group(), pos, self.pos)
        for op in _OP_BY_FIRST.get(ch, ()):
            if src.startswith(op, pos):
                self.pos = pos + len(op)
                return Token("op", op, pos, self.pos)
        if ch in _MISTAKES:
            raise self.error(pos, _MISTAKES[ch])
        raise self.error(pos, f"unexpected character U+{ord(ch):04X}", char=f"U+{ord(ch):04X}")

    def _number(self, pos: int) -> Token:
        src = self.source
        m = _NUMBER.match(src, pos)
        assert m is not None
        end = m.end()
        text = m.group()
        if end < len(src):
            nxt = src[end]
            if nxt == "." and not (m.group(1) or m.group(2)):
                raise self.error(end, "a number needs digits after the decimal point")
            if nxt.isascii() and (nxt.isalnum() or nxt == "_"):
                raise self.error(pos, "invalid number literal")
        int_part = text.split(".")[0].split("e")[0].split("E")[0]
        if len(int_part) > 1 and int_part[0] == "0":
            raise self.error(pos, "numbers may not have leading zeros")
        self.pos = end
        if m.group(1) is None and m.group(2) is None:
            if len(text) > self._max_digits:
                line, column = line_column(src, pos)
                raise limit_exceeded(
                    self.limits, "max_integer_bits", offset=pos, line=line, column=column
                )
            value = int(text)
            if value.bit_length() > self.limits.max_integer_bits:
                line, column = line_column(src, pos)
                raise limit_exceeded(
                    self.limits, "max_integer_bits", offset=pos, line=line, column=column
                )
            return Token("num", value, pos, end)
        number = float(text)
        if not math.isfinite(number):
            raise self.error(pos, "number literal is out of range")
        return Token("num", number, pos, end)

    def _string(self, pos: int, quote: str) -> Token:
        src = self.source
        plain = _PLAIN[quote]
        parts: list[str] = []
        i = pos + 1
        n = len(src)
        while True:
            m = plain.match(src, i)
            if m:
                parts.append(m.group())
                i = m.end()
            if i >= n:
                raise self.error(pos, "unterminated string literal")
            ch = src[i]
            if ch == quote:
                self.pos = i + 1
                return Token("str", "".join(parts), pos, self.pos)
            if ch == "\\":
                text, i = self._escape(i)
                parts.append(text)
                continue
            raise self.error(
                i,
                f"control character U+{ord(ch):04X} in a string literal; "
                "write it as an escape such as \\n or \\u0000",
            )

    def _escape(self, i: int) -> tuple[str, int]:
        """Decode the escape sequence at ``src[i] == '\\'``; return it and the next index."""
        src = self.source
        if i + 1 >= len(src):
            raise self.error(i, "unterminated string literal")
        c = src[i + 1]
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c], i + 2
        if c == "x":
            m = _HEX2.match(src, i + 2)
            if m is None:
                raise self.error(i, "\\x must be followed by two hex digits")
            return chr(int(m.group(), 16)), m.end()
        if c == "u":
            m = _HEXBRACE.match(src, i + 2)
            if m is not None:
                code = int(m.group(1), 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise self.error(i, "\\u{…} must name a Unicode scalar value")
                return chr(code), m.end()
            m = _HEX4.match(src, i + 2)
            if m is None:
                raise self.error(i, "\\u must be followed by four hex digits or {hex}")
            code = int(m.group(), 16)
            end = m.end()
            if 0xD800 <= code <= 0xDBFF:
                low = _HEX4.match(src, end + 2) if src.startswith("\\u", end) else None
                if low is not None and 0xDC00 <= int(low.group(), 16) <= 0xDFFF:
                    pair = 0x10000 + ((code - 0xD800) << 10) + (int(low.group(), 16) - 0xDC00)
                    return chr(pair), low.end()
                raise self.error(i, "lone surrogate in \\u escape")
            if 0xDC00 <= code <= 0xDFFF:
                raise self.error(i, "lone surrogate in \\u escape")
            return chr(code), end
        raise self.error(i, f"unknown escape sequence '\\{_printable(c)}'")


def _printable(ch: str) -> str:
    return ch if ch.isprintable() else f"U+{ord(ch):04X}"
