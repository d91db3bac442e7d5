"""JSON text of what Nebula stores (documents, journal bodies): one encoding, decoding in bulk.

The text is exactly what ``json.dumps(value, separators=(",", ":"), ensure_ascii=False,
allow_nan=False)`` produces, from the same C encoder, made once instead of per call. It is made
without the circular-reference check (a dict of markers per call): a value that contains itself
then exhausts the recursion limit instead, which :func:`dumps` reports as the same ``ValueError``.
"""

from __future__ import annotations

import json
from _json import encode_basestring, make_encoder
from collections.abc import Sequence
from typing import Any

__all__ = ["dumps", "loads_many"]


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODE = make_encoder(None, _refuse, encode_basestring, None, ":", ",", False, False, False)


def dumps(value: Any) -> str:
    """``value`` as compact JSON text; ``TypeError``/``ValueError`` if it is not JSON."""
    try:
        return "".join(_ENCODE(value, 0))
    except RecursionError:
        raise ValueError("Circular reference detected or nesting too deep") from None


def loads_many(texts: Sequence[str]) -> list[Any]:
    """Decode many JSON documents: one parse of them as a list costs a third of one per text."""
    if len(texts) == 1:
        return [json.loads(texts[0])]
    return list(json.loads("[" + ",".join(texts) + "]"))
