"""Validation of the names inside a star: resource type names and resource ids."""

from __future__ import annotations

import re

from nebula_kernel.errors import InvalidIdentifier

__all__ = ["check_resource_id", "check_type_name"]

_TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Ids appear in URLs and file names later on: no '/', no '..', no whitespace or control chars.
_ID_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,199}$")


def check_type_name(name: object) -> str:
    if not isinstance(name, str) or not _TYPE_RE.match(name):
        raise InvalidIdentifier(
            f"{str(name)[:80]!r} is not a resource type name: use a letter followed by up to 63 "
            "letters, digits or underscores (e.g. 'Task', 'sales_order').",
            type=str(name)[:200],
        )
    return name


def check_resource_id(id_: object) -> str:
    if not isinstance(id_, str) or not _ID_RE.match(id_) or ".." in id_:
        raise InvalidIdentifier(
            f"{str(id_)[:80]!r} is not a resource id: use 1-200 characters from letters, digits "
            "and '_ . : @ -', starting with a letter, digit or '_', without '..'.",
            id=str(id_)[:200],
        )
    return id_
