"""Steps the Nebula panel tests share: resources over REST, the sidebar, the inspector."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser._lab import LabServer

__all__ = ["define_type", "open_inspector", "open_sidebar", "put_resource", "run_command"]

OBJECT_SCHEMA: dict[str, Any] = {"type": "object"}


def run_command(page: Page, command: str, args: dict[str, Any] | None = None) -> None:
    """Run a JupyterLab command and wait until it is done. What it returns is dropped: often a
    widget, whose object graph reaches the whole application and is too deep to send back."""
    page.evaluate(
        "async ([command, args]) => { await window.jupyterapp.commands.execute(command, args); }",
        [command, args or {}],
    )


def define_type(lab: LabServer, name: str, schema: dict[str, Any] = OBJECT_SCHEMA) -> None:
    star = lab.default_star()
    lab.api("PUT", f"stars/{star}/types/{name}", {"json_schema": schema}).raise_for_status()


def put_resource(lab: LabServer, type_name: str, id_: str, value: dict[str, Any]) -> Any:
    """Write as another writer would (no eTag): the test's own REST call."""
    star = lab.default_star()
    return lab.api("PUT", f"stars/{star}/resources/{type_name}/{id_}", value).raise_for_status()


def open_sidebar(page: Page) -> None:
    """Open the Nebula sidebar with its keyboard shortcut and wait for its live connection."""
    page.keyboard.press("Alt+Shift+N")
    expect(page.get_by_test_id("nebula-sidebar")).to_be_visible()
    expect(page.get_by_test_id("nebula-live-status")).to_have_text("live")


def open_inspector(page: Page, type_name: str, id_: str) -> None:
    """Open a resource's inspector from the sidebar and wait for its value."""
    open_sidebar(page)
    page.get_by_test_id(f"nebula-resource-{type_name}-{id_}").click()
    expect(page.get_by_test_id("nebula-inspector-meta")).to_contain_text("snapshot")
