"""The browser's wire types are generated from the pydantic models; the checked-in output must
match what the models say now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_typescript_matches_the_models() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_ts_types.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_generated_typescript_has_every_envelope() -> None:
    text = (ROOT / "labextension" / "src" / "generated" / "models.ts").read_text()
    for name in ("Call", "Subscribe", "EventMessage", "ResyncMessage", "ResourceOut"):
        assert f"export interface {name} " in text
    assert "export type ServerMessage = " in text
