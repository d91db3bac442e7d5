"""The workflow graph editor in a real JupyterLab: edit, save, reopen, run and watch it live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser._lab import LabServer
from tests.browser._nebula import run_command

pytestmark = pytest.mark.browser

WORKFLOW = """\
# Browser test: greet, pause, then (added in the editor) log.
id: browser_greeting
name: Browser greeting   # the editor's title
nodes:
  - id: greet  # first
    action: log
    parameters:
      message: "Hello {{ $input.name }}!"
  # a short pause, so the run is visibly live
  - id: pause
    action: wait
    parameters: {seconds: 0.2}
connections:
  - {from: greet, to: pause}
"""

FILE = "browser_greeting.workflow.yaml"


def _editor(page: Page) -> Locator:
    """The workflow editor in the current (visible) tab."""
    return page.locator(".jp-NebulaWorkflow-document:not(.lm-mod-hidden)")


def _node(page: Page, node_id: str) -> Locator:
    return _editor(page).get_by_test_id(f"wf-node-{node_id}")


def _handle(page: Page, node_id: str, kind: str) -> Locator:
    # React Flow draws the handles inside the node's wrapper, beside our card
    wrapper = _editor(page).locator(f'.react-flow__node[data-id="{node_id}"]')
    return wrapper.locator(f".react-flow__handle.{kind}")


def _connect(page: Page, source: str, target: str) -> None:
    start = _handle(page, source, "source").bounding_box()
    end = _handle(page, target, "target").bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def _open(page: Page, name: str = FILE, first_node: str = "greet") -> None:
    """Open a file the way a double-click does: with its default widget factory."""
    run_command(page, "docmanager:open", {"path": name})
    expect(_editor(page).get_by_test_id("wf-editor")).to_be_visible()
    expect(_node(page, first_node)).to_be_visible()


def _saved_text(page: Page, path: Path, contains: str) -> str:
    """The file's text once the save has written ``contains`` (the save is asynchronous)."""
    for _ in range(200):
        text = path.read_text(encoding="utf-8")
        if contains in text:
            return text
        page.wait_for_timeout(50)
    raise AssertionError(
        f"{path.name} was not saved; it holds:\n{path.read_text(encoding='utf-8')}"
    )


def _lines_in_order(text: str, lines: list[str]) -> bool:
    """Whether ``lines`` all appear in ``text``, in this order, each exactly as written."""
    rest = text.splitlines()
    for line in lines:
        if line not in rest:
            return False
        rest = rest[rest.index(line) + 1 :]
    return True


def test_the_graph_editor_is_the_default_and_the_text_editor_stays_available(
    page: Page, lab: LabServer
) -> None:
    factories = page.evaluate(
        "path => window.jupyterapp.docRegistry.preferredWidgetFactories(path).map(f => f.name)",
        FILE,
    )
    assert factories[0] == "Nebula Workflow Editor"
    assert "Editor" in factories


def test_edit_save_reopen_and_run_live(page: Page, lab: LabServer) -> None:
    path = lab.root / FILE
    path.write_text(WORKFLOW, encoding="utf-8")
    _open(page)
    editor = _editor(page)
    expect(editor.get_by_test_id("wf-title")).to_have_text("Browser greeting")
    expect(editor.get_by_test_id("wf-problems-none")).to_be_visible()

    # add a node from the palette and connect it
    search = editor.get_by_test_id("wf-palette-search")
    search.fill("log")
    editor.get_by_test_id("wf-palette-item-log").drag_to(
        editor.get_by_test_id("wf-canvas"), target_position={"x": 200, "y": 560}
    )
    expect(_node(page, "log")).to_be_visible()
    # a log node needs a message: the problems pane and the node say so until it has one
    expect(editor.get_by_test_id("wf-node-problems-log")).to_be_visible()
    expect(editor.get_by_test_id("wf-run")).to_be_disabled()
    # expressions are checked as they are typed: syntax, and references to node ids
    message = editor.get_by_test_id("wf-param-message")
    message.fill("done: {{ $nodes.nope.result }}")
    expect(editor.get_by_test_id("wf-param-message-error")).to_contain_text('unknown node "nope"')
    message.fill("done: {{ $nodes.greet.result.message }}")
    expect(editor.get_by_test_id("wf-param-message-error")).to_have_count(0)
    _connect(page, "pause", "log")
    expect(editor.locator(".react-flow__edge")).to_have_count(2)
    expect(editor.get_by_test_id("wf-problems-none")).to_be_visible()

    # save through the document context; the file stays the hand-written YAML plus the edits
    editor.get_by_test_id("wf-editor").focus()
    page.keyboard.press("Control+s")
    saved = _saved_text(page, path, "to: log}")
    expect(page.locator(".jp-mod-dirty")).to_have_count(0)
    assert _lines_in_order(saved, WORKFLOW.splitlines()), saved
    assert "  - id: log" in saved
    assert "  - {from: pause, to: log}" in saved
    assert 'message: "done: {{ $nodes.greet.result.message }}"' in saved

    # close and reopen: the same graph
    tab = page.locator(".jp-mod-current.lm-TabBar-tab", has_text=FILE)
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    expect(page.locator(".lm-TabBar-tab", has_text=FILE)).to_have_count(0)
    _open(page)
    for node_id in ("greet", "pause", "log"):
        expect(_node(page, node_id)).to_be_visible()
    expect(editor.locator(".react-flow__edge")).to_have_count(2)
    assert path.read_text(encoding="utf-8") == saved

    # run it and watch every node reach "done"
    expect(editor.get_by_test_id("wf-run")).to_be_enabled()
    editor.get_by_test_id("wf-run").click()
    editor.get_by_test_id("wf-run-input").fill('{"name": "Ada"}')
    editor.get_by_test_id("wf-run-start").click()
    for node_id in ("greet", "pause", "log"):
        expect(editor.get_by_test_id(f"wf-node-state-{node_id}")).to_have_text(
            re.compile(r"^done"), timeout=30_000
        )
    expect(editor.get_by_test_id("wf-run-status")).to_have_text("completed")

    # a node's run details: its resolved inputs and output; the run's journal
    _node(page, "log").click()
    expect(editor.get_by_test_id("wf-run-output")).to_contain_text("done: Hello Ada!")
    editor.locator(".react-flow__pane").click(position={"x": 8, "y": 8})
    expect(editor.get_by_test_id("wf-run-journal")).to_contain_text("execution completed")
    assert path.read_text(encoding="utf-8") == saved


SLOW = """\
id: browser_slow
nodes:
  - {id: nap, action: wait, parameters: {seconds: 600}}
  - {id: after, action: log, parameters: {message: never}}
connections:
  - {from: nap, to: after}
"""


def test_a_running_execution_follows_the_server_live(page: Page, lab: LabServer) -> None:
    (lab.root / "browser_slow.workflow.yaml").write_text(SLOW, encoding="utf-8")
    _open(page, "browser_slow.workflow.yaml", "nap")
    editor = _editor(page)
    editor.get_by_test_id("wf-run").click()
    editor.get_by_test_id("wf-run-start").click()
    expect(editor.get_by_test_id("wf-node-state-nap")).to_have_text(re.compile(r"^running"))
    expect(editor.get_by_test_id("wf-node-state-after")).to_have_text("queued")
    expect(editor.get_by_test_id("wf-run-status")).to_have_text("running")

    # cancelled from elsewhere (another client): only the gateway's events tell the page
    star = lab.default_star()
    runs = lab.api("GET", f"stars/{star}/executions?workflow_id=browser_slow&limit=1")
    execution_id = runs.raise_for_status().json()["executions"][0]["id"]
    lab.api("POST", f"stars/{star}/executions/{execution_id}/cancel").raise_for_status()
    expect(editor.get_by_test_id("wf-run-status")).to_have_text("cancelled")
    expect(editor.get_by_test_id("wf-node-state-nap")).to_have_text("cancelled")
    expect(editor.get_by_test_id("wf-node-state-after")).to_have_text("skipped")
    expect(editor.get_by_test_id("wf-run-cancel")).to_be_disabled()


def test_new_workflow_starts_a_valid_file_in_the_editor(page: Page, lab: LabServer) -> None:
    run_command(page, "nebula-workflow:create-new")
    editor = _editor(page)
    expect(editor.get_by_test_id("wf-node-hello")).to_be_visible()
    expect(editor.get_by_test_id("wf-problems-none")).to_be_visible()
    expect(editor.get_by_test_id("wf-run")).to_be_enabled()
    created = sorted(lab.root.glob("untitled*.workflow.yaml"))
    assert created, "no new workflow file"
    assert "action: log" in created[-1].read_text(encoding="utf-8")
