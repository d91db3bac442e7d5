"""The public surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import subprocess
import sys

import nebula_kernel as nk

EXPECTED = {
    "ALLOW",
    "CURRENT_VALID_TO",
    "DEFAULT_STAR",
    "LOCAL_PRINCIPAL",
    "MUST_NOT_EXIST",
    "AlreadyExists",
    "Change",
    "ChangeStream",
    "Conflict",
    "ConflictItem",
    "Delete",
    "Deny",
    "DocumentTooLarge",
    "FieldError",
    "Forbidden",
    "GuardDenied",
    "GuardRequest",
    "InvalidDefinition",
    "InvalidIdentifier",
    "InvalidQuery",
    "InvalidRequest",
    "MigrationFailed",
    "NebulaError",
    "NotFound",
    "Principal",
    "Put",
    "Redact",
    "RemoteResourceStore",
    "Resource",
    "ResourceDiff",
    "ResourceNotFound",
    "ResourceStore",
    "Resync",
    "Role",
    "StarId",
    "StarNotFound",
    "StoreClosed",
    "StoreError",
    "StoreLimits",
    "StoreLocked",
    "Subscription",
    "TransactionConflict",
    "TypeNotFound",
    "ValidationFailed",
    "__version__",
    "connect",
    "open_store",
}


def test_exported_names_are_pinned() -> None:
    assert set(nk.__all__) == EXPECTED
    for name in nk.__all__:
        assert hasattr(nk, name), name


def test_every_error_is_a_nebula_error() -> None:
    errors = [
        getattr(nk, n)
        for n in nk.__all__
        if isinstance(getattr(nk, n), type) and issubclass(getattr(nk, n), Exception)
    ]
    assert errors
    assert all(issubclass(e, nk.NebulaError) for e in errors)
    codes = [e.code for e in errors]
    assert len(codes) == len(set(codes)), "error codes must be unique"


def test_importing_the_package_does_not_import_storage_engines() -> None:
    # A thin kernel client must not pay for (or need) duckdb or pyarrow until it runs embedded.
    code = (
        "import sys, nebula_kernel; "
        "print(sorted(m for m in ('duckdb', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
