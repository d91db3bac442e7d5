"""The regular-expression subset of ``$regex``, identical in DuckDB (RE2) and Python (``re``).

The two engines differ at the edges (``$`` before a final newline, Unicode ``\\d``, POSIX
classes, nested sets), so a pattern is scanned token by token, rejected if it leaves the subset,
and written out twice: once for ``regexp_matches`` and once for :func:`re.search`.

Supported: literal characters; ``.`` (any character but newline); anchors ``^`` and ``$``
(start and end of the whole string); escapes ``\\d \\D \\w \\W \\s \\S`` (ASCII classes:
``\\s`` is space, tab, newline, carriage return and form feed), ``\\n \\t \\r`` and a backslash
before any punctuation; character classes ``[abc]``, ``[^a-z0-9_]`` whose members are letters,
digits, spaces, ranges, ``\\d \\w \\s`` or escaped punctuation; groups ``( )`` and ``(?: )``;
alternation ``|``; quantifiers ``* + ? {n} {n,} {n,m}`` (n, m ≤ 1000), each optionally lazy
(``*?``). ``$options: "i"`` makes the match case-insensitive (identical in both engines for
ASCII letters). Matching is a search: the pattern may match anywhere unless anchored.
Not supported: backreferences, lookaround, named groups, inline flags, word boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from nebula_kernel.errors import InvalidQuery

__all__ = ["MAX_PATTERN_LENGTH", "RegexPattern", "parse_regex"]

MAX_PATTERN_LENGTH: Final = 512
_MAX_REPEAT: Final = 1000
_SPACE: Final = r"\t\n\f\r "
# Escapes outside a class: (RE2 text, Python text). Spelled out so both engines see one set.
_CLASS_ESCAPES: Final = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "n": r"\n",
    "t": r"\t",
    "r": r"\r",
}
_IN_CLASS_ESCAPES: Final = {
    "d": "0-9",
    "w": "0-9A-Za-z_",
    "s": _SPACE,
    "n": r"\n",
    "t": r"\t",
    "r": r"\r",
}
_PUNCTUATION: Final = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_QUANTIFIER: Final = re.compile(r"\{([0-9]{1,4})(,([0-9]{0,4}))?\}")
_OPTIONS: Final = {"": "", "i": "(?i)"}


@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A validated pattern: ``source`` as written, ``sql`` for RE2, ``python`` for ``re``."""

    source: str
    options: str
    sql: str
    python: str
    compiled: re.Pattern[str] = field(compare=False, repr=False)

    def search(self, text: str) -> bool:
        return self.compiled.search(text) is not None


def parse_regex(source: object, options: object, location: str) -> RegexPattern:
    """Check ``source`` against the subset and translate it; errors point at ``location``."""
    if not isinstance(source, str):
        raise InvalidQuery(f"{location}: $regex needs a string pattern", path=location)
    if len(source) > MAX_PATTERN_LENGTH:
        raise InvalidQuery(
            f"{location}: pattern is {len(source)} characters; at most {MAX_PATTERN_LENGTH}",
            path=location,
        )
    if not isinstance(options, str) or options not in _OPTIONS:
        raise InvalidQuery(f"{location}: $options must be '' or 'i'", path=location)
    body = _Scanner(source, location).translate()
    prefix = _OPTIONS[options]
    python = prefix + body.replace("$", r"\Z") if "$" in body else prefix + body
    return RegexPattern(source, options, prefix + body, python, re.compile(python))


class _Scanner:
    """One pass over the pattern; ``$`` is the only token the two outputs spell differently.

    The output keeps ``$`` only as the end anchor (a literal dollar is written ``\\x24``), so the
    Python form can swap it for ``\\Z`` with a plain replace.
    """

    def __init__(self, source: str, location: str) -> None:
        self.source = source
        self.location = location
        self.pos = 0
        self.out: list[str] = []

    def fail(self, what: str) -> InvalidQuery:
        return InvalidQuery(
            f"{self.location}: {what} at position {self.pos} of the pattern; see the supported "
            "$regex subset (literals, . ^ $, \\d \\w \\s, [classes], (groups), |, quantifiers)",
            path=self.location,
        )

    def translate(self) -> str:
        depth = 0
        can_repeat = False  # whether the previous token is an atom a quantifier may follow
        src = self.source
        while self.pos < len(src):
            char = src[self.pos]
            if char in "*+?{":
                if not can_repeat:
                    raise self.fail("a quantifier with nothing to repeat")
                self.quantifier()
                can_repeat = False
                continue
            can_repeat = True
            if char == "\\":
                self.escape()
                continue
            if char == "[":
                self.char_class()
                continue
            if char == "(":
                if src.startswith("(?", self.pos) and not src.startswith("(?:", self.pos):
                    raise self.fail("unsupported group syntax '(?'")
                width = 3 if src.startswith("(?:", self.pos) else 1
                self.out.append(src[self.pos : self.pos + width])
                self.pos += width
                depth += 1
                can_repeat = False
                continue
            if char == ")":
                if depth == 0:
                    raise self.fail("an unbalanced ')'")
                depth -= 1
            elif char in "|^$":
                can_repeat = False
            elif char in "]}":
                raise self.fail(f"an unescaped {char!r}")
            self.out.append(char)
            self.pos += 1
        if depth:
            raise self.fail("an unclosed '('")
        return "".join(self.out)

    def quantifier(self) -> None:
        src = self.source
        if src[self.pos] == "{":
            match = _QUANTIFIER.match(src, self.pos)
            if match is None:
                raise self.fail("a '{' that is not a quantifier {n}, {n,} or {n,m} (escape it)")
            low, high = int(match.group(1)), match.group(3)
            if low > _MAX_REPEAT or (high and (int(high) > _MAX_REPEAT or int(high) < low)):
                raise self.fail(f"a repetition count above {_MAX_REPEAT} or out of order")
            self.out.append(match.group(0))
            self.pos = match.end()
        else:
            self.out.append(src[self.pos])
            self.pos += 1
        if self.pos < len(src) and src[self.pos] == "?":
            self.out.append("?")
            self.pos += 1
        if self.pos < len(src) and src[self.pos] in "*+?{":
            raise self.fail("a repeated quantifier")

    def escape(self) -> None:
        if self.pos + 1 >= len(self.source):
            raise self.fail("a trailing backslash")
        char = self.source[self.pos + 1]
        if char in _CLASS_ESCAPES:
            self.out.append(_CLASS_ESCAPES[char])
        elif char in _PUNCTUATION:
            self.out.append(_literal(char))
        else:
            raise self.fail(f"an unsupported escape '\\{char}'")
        self.pos += 2

    def char_class(self) -> None:
        src = self.source
        self.pos += 1
        parts = ["["]
        if self.pos < len(src) and src[self.pos] == "^":
            parts.append("^")
            self.pos += 1
        members = 0
        while True:
            if self.pos >= len(src):
                raise self.fail("an unclosed '['")
            char = src[self.pos]
            if char == "]":
                break
            if char == "\\":
                if self.pos + 1 >= len(src):
                    raise self.fail("a trailing backslash")
                escaped = src[self.pos + 1]
                if escaped in _IN_CLASS_ESCAPES:
                    parts.append(_IN_CLASS_ESCAPES[escaped])
                elif escaped in _PUNCTUATION:
                    parts.append(_literal(escaped))
                else:
                    raise self.fail(f"an unsupported escape '\\{escaped}' in a class")
                self.pos += 2
            elif char.isalnum() or char == " ":
                if src.startswith("-", self.pos + 1) and self.pos + 2 < len(src):
                    end = src[self.pos + 2]
                    if not (end.isalnum() or end == " ") or end < char:
                        raise self.fail("an invalid range in a class")
                    parts.append(f"{char}-{end}")
                    self.pos += 3
                else:
                    parts.append(char)
                    self.pos += 1
            else:
                raise self.fail(f"an unescaped {char!r} in a class")
            members += 1
        if members == 0:
            raise self.fail("an empty class")
        self.pos += 1
        parts.append("]")
        self.out.append("".join(parts))


def _literal(char: str) -> str:
    """A punctuation character as a literal both engines read the same way."""
    return f"\\x{ord(char):02x}"
