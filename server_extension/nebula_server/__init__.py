"""Nebula's Jupyter server extension: the engines, their REST API and (later) the live gateway."""

from __future__ import annotations

from typing import Any

from nebula_server._app import NebulaApp

__all__ = ["NebulaApp", "_jupyter_server_extension_points"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nebula_server", "app": NebulaApp}]
