"""The nebula command on an embedded store: output for people and for scripts, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nebula_kernel as nk
from nebula_kernel.cli import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.duckdb"
    with nk.open_store(path) as store:
        store.define_type("Task", json_schema={"type": "object", "required": ["title"]})
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_put_get_history_find(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "--json",
        "resources",
        "put",
        "Task",
        "t1",
        '{"title": "a"}',
        "--if-absent",
    )
    assert code == 0
    first = json.loads(out)
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "--json",
        "resources",
        "put",
        "Task",
        "t1",
        '{"title": "b"}',
        "--if-match",
        first["etag"],
    )
    assert code == 0 and json.loads(out)["snapshot_number"] == 2
    code, out, _ = run(capsys, "--db", db, "resources", "get", "Task", "t1")
    assert code == 0 and out.startswith("Task/t1 #2") and '"title": "b"' in out
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "--json",
        "resources",
        "get",
        "Task",
        "t1",
        "--as-of",
        first["valid_from"],
    )
    assert json.loads(out)["value"] == {"title": "a"}
    code, out, _ = run(capsys, "--db", db, "--json", "resources", "history", "Task", "t1")
    assert [s["snapshot_number"] for s in json.loads(out)] == [1, 2]
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "--json",
        "resources",
        "find",
        '{"find": {"title": "b"}, "__At": "current"}',
    )
    assert json.loads(out)["total"] == 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["resources", "get", "Task", "nope"], 1, "does not exist"),
        (["resources", "put", "Task", "t", "{broken"], 1, "not valid JSON"),
        (["resources", "put", "Task", "t", "{}"], 1, "title"),
        (["resources", "put", "Ghost", "t", "{}"], 1, "no resource type"),
        (["resources", "get", "Task", "t", "--as-of", "yesterday"], 1, "ISO 8601"),
    ],
)
def test_errors_exit_1_with_a_message(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    got, out, err = run(capsys, "--db", db, *argv)
    assert got == code and out == "" and message in err and "Traceback" not in err
    got, _, err = run(capsys, "--db", db, "--json", *argv)
    assert got == code and json.loads(err)["error"]["message"]


def test_help_everywhere() -> None:
    for argv in (
        ["--help"],
        ["resources", "--help"],
        ["resources", "put", "--help"],
        ["lab", "--help"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "nebula_kernel.cli", *argv],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and "usage: nebula" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "nebula_kernel.cli", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
