"""The execution widget's browser half, rendered in jsdom by node: node rows with state badges
and ``data-testid`` hooks, data shown as text (never markup), and live updates."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
VIEW = ROOT / "nebula_kernel" / "widgets" / "_execution.js"
LABEXTENSION = ROOT / "labextension"

# Renders the view with a model state, updates it to completed; what it showed before and after.
Render = Callable[[dict[str, Any]], dict[str, Any]]

_SCRIPT = """
import { createRequire } from "module";
const require = createRequire(process.argv[2]);
const { JSDOM } = require("jsdom");
globalThis.document = new JSDOM("<div id=root></div>").window.document;
const view = await import(process.argv[3]);
const state = JSON.parse(process.argv[4]);
const handlers = {};
const model = { get: (k) => state[k], on: (e, f) => { handlers[e] = f; }, off: () => {} };
const root = document.getElementById("root");
view.default.render({ model, el: root });
const snapshot = () => ({
  rows: [...root.querySelectorAll('[data-testid="nebula-execution-node"]')].map((row) => [
    row.dataset.node,
    row.querySelector('[data-testid="nebula-execution-node-state"]').dataset.state,
    row.textContent,
  ]),
  status: root.querySelector('[data-testid="nebula-execution-status"]').textContent,
  elements: [...root.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()),
});
const before = snapshot();
state.status = "completed";
state.nodes = state.nodes.map((n) => ({ ...n, state: "done" }));
handlers["change:nodes"]();
console.log(JSON.stringify({ before, after: snapshot() }));
"""


@pytest.fixture
def render(tmp_path: Path) -> Render:
    node = shutil.which("node")
    if node is None or not (LABEXTENSION / "node_modules" / "jsdom").is_dir():
        pytest.skip("needs node and labextension/node_modules/jsdom (jlpm install)")
    script = tmp_path / "render.mjs"
    script.write_text(_SCRIPT)

    def run(state: dict[str, Any]) -> dict[str, Any]:
        # A fixed interpreter and our own files: nothing untrusted on this command line.
        done = subprocess.run(
            [
                node,
                str(script),
                str(LABEXTENSION / "package.json"),
                VIEW.as_uri(),
                json.dumps(state),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        found: dict[str, Any] = json.loads(done.stdout)
        return found

    return run


def test_nodes_show_as_text_with_state_badges(render: Render) -> None:
    state: dict[str, Any] = {
        "execution_id": "e1",
        "workflow_id": "<b>wf</b>",
        "status": "running",
        "error": "",
        "nodes": [
            {
                "id": "fetch<script>",
                "action": "http.request",
                "state": "retrying",
                "attempts": 2,
                "failures": 1,
                "duration_ms": None,
                "error": "<i>503</i>",
            },
            {
                "id": "log",
                "action": "log",
                "state": "queued",
                "attempts": 0,
                "failures": 0,
                "duration_ms": None,
                "error": "",
            },
        ],
    }
    shown = render(state)
    before, after = shown["before"], shown["after"]
    assert [r[:2] for r in before["rows"]] == [["fetch<script>", "retrying"], ["log", "queued"]]
    assert "2 attempts" in before["rows"][0][2] and "<i>503</i>" in before["rows"][0][2]
    assert not {"script", "b", "i"} & set(before["elements"])  # data never became markup
    assert before["status"] == "running"
    assert [r[1] for r in after["rows"]] == ["done", "done"] and after["status"] == "completed"
