"""Drivers: implementations of :mod:`nebula_kernel.ports`, each imported lazily by its host."""

__all__: list[str] = []
