"""nebula validate / run / executions, embedded and on a server, with the example workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nebula_kernel.cli import main
from tests._server import RunningServer

EXAMPLE = Path(__file__).resolve().parents[3] / "notebooks" / "greeting.workflow.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "validate", str(EXAMPLE))
    assert code == 0 and json.loads(out) == {"workflow": "greeting", "nodes": 3, "valid": True}


def test_validate_lists_problems_with_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.workflow.yaml"
    broken.write_text(
        EXAMPLE.read_text()
        .replace("action: log", "action: lgo", 1)
        .replace("$nodes.greet", "$nodes.nobody", 1)
    )
    code, out, err = run(capsys, "--json", "validate", str(broken))
    assert code == 1 and out == ""
    problems = json.loads(err)["error"]["details"]["problems"]
    assert len(problems) >= 2 and all(p.get("line") for p in problems)


def test_run_then_list_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "runs.duckdb")
    code, out, _ = run(
        capsys, "--db", db, "--json", "run", str(EXAMPLE), "--input", '{"name": "Ada Lovelace"}'
    )
    assert code == 0
    result = json.loads(out)
    assert result["status"] == "completed" and result["skipped"] == ["short"]
    assert result["results"]["greet"] == {"message": "Hello Ada Lovelace!"}
    code, out, _ = run(capsys, "--db", db, "--json", "executions", "list")
    assert [(e["id"], e["star"]) for e in json.loads(out)] == [
        (result["execution"], "local.lab.default")
    ]
    code, out, _ = run(capsys, "--db", db, "--json", "executions", "show", result["execution"])
    shown = json.loads(out)
    assert shown["nodes"]["long"]["status"] == "completed"
    assert shown["journal"][0]["kind"] == "execution_started"


def test_a_failing_run_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = tmp_path / "failing.workflow.yaml"
    failing.write_text(
        "id: failing\nnodes:\n  - id: boom\n    action: fail\n    parameters: {message: nope}\n"
    )
    code, out, _ = run(capsys, "--db", str(tmp_path / "f.duckdb"), "--json", "run", str(failing))
    assert code == 1 and json.loads(out)["status"] == "failed"


def test_an_unknown_execution_and_an_unreachable_server_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "x.duckdb"), "executions", "show", "nope")
    assert code == 1 and "nope" in err
    code, _, err = run(capsys, "--url", "http://127.0.0.1:9/", "run", str(EXAMPLE))
    assert code == 1 and "Could not reach" in err and "Traceback" not in err


def test_with_url_the_server_validates_runs_and_keeps_the_runs(
    jupyter_server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ("--url", jupyter_server.url, "--token", jupyter_server.token)
    code, out, _ = run(capsys, *server, "--json", "validate", str(EXAMPLE))
    assert code == 0 and json.loads(out)["valid"] is True
    broken = tmp_path / "broken.workflow.yaml"
    broken.write_text(EXAMPLE.read_text().replace("action: log", "action: lgo", 1))
    code, _, err = run(capsys, *server, "--json", "validate", str(broken))
    problems = json.loads(err)["error"]["details"]["problems"]
    assert code == 1 and any("lgo" in p["message"] and p["line"] for p in problems)
    code, out, err = run(capsys, *server, "run", str(EXAMPLE), "--input", '{"name": "Grace"}')
    assert code == 0 and "greet: done" in err  # progress on stderr, the result on stdout
    execution = json.loads(out)["execution"]
    code, out, _ = run(capsys, *server, "--json", "executions", "list", "--limit", "500")
    assert execution in [e["id"] for e in json.loads(out)]
    code, out, _ = run(capsys, *server, "--json", "executions", "show", execution)
    shown = json.loads(out)
    assert shown["status"] == "completed" and shown["nodes"]["greet"]["status"] == "completed"
    assert shown["journal"][0]["kind"] == "execution_started"
