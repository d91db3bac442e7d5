"""REST handlers, one module per resource family."""

__all__: list[str] = []
