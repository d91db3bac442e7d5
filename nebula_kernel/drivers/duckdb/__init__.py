"""The embedded default driver: everything in one DuckDB file."""

from nebula_kernel.drivers.duckdb._repo import DuckDbResourceRepo, open_duckdb
from nebula_kernel.drivers.duckdb._schema import SCHEMA_STATEMENTS, SCHEMA_VERSION
from nebula_kernel.drivers.duckdb._trigger_state import DuckDbTriggerState

__all__ = [
    "SCHEMA_STATEMENTS",
    "SCHEMA_VERSION",
    "DuckDbResourceRepo",
    "DuckDbTriggerState",
    "open_duckdb",
]
