"""The ``nebula`` command."""

from nebula_kernel.cli._main import main

__all__ = ["main"]
