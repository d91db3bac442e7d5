"""The Nebula sidebar follows the store live: a kernel's write shows up without a reload."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser._lab import LabServer
from tests.browser._nebula import open_sidebar

pytestmark = pytest.mark.browser

KERNEL_WRITES = """\
import nebula_kernel as nk
nb = nk.connect()
nb.define_type("KernelNote", json_schema={"type": "object"})
nb.put("KernelNote", "from-kernel", {"text": "written in a notebook kernel"})
print(type(nb).__name__)
"""


def test_a_resource_a_kernel_writes_appears_without_reload(
    page: Page, lab: LabServer, kernel_code: Callable[[str], str]
) -> None:
    open_sidebar(page)
    resource = page.get_by_test_id("nebula-resource-KernelNote-from-kernel")
    expect(resource).to_have_count(0)

    connection = kernel_code(KERNEL_WRITES)

    assert connection.strip() == "RemoteResourceStore"  # the kernel went through the server
    expect(resource).to_be_visible()
    expect(page.get_by_test_id("nebula-type-KernelNote")).to_contain_text("1")


def test_an_execution_appears_with_its_live_status(page: Page, lab: LabServer) -> None:
    open_sidebar(page)
    expect(page.get_by_test_id("nebula-executions-unavailable")).to_have_count(0)
    run = page.get_by_test_id("nebula-execution-browser-run-1")
    expect(run).to_have_count(0)

    started = lab.api(
        "POST",
        f"stars/{lab.default_star()}/executions",
        {
            "path": "greeting.workflow.yaml",
            "input": {"name": "Ada"},
            "execution_id": "browser-run-1",
        },
    )

    assert started.status_code == 201, started.text
    expect(run).to_contain_text("greeting")
    expect(page.get_by_test_id("nebula-execution-status-browser-run-1")).to_have_text("completed")


def test_a_deployed_trigger_is_listed_and_starts_runs_that_show_live(
    page: Page, lab: LabServer
) -> None:
    star = lab.default_star()
    open_sidebar(page)
    trigger = page.get_by_test_id("nebula-trigger-task-done")
    expect(trigger).to_contain_text("task-done-log")
    expect(trigger).to_contain_text("put of Task")

    lab.api("PUT", f"stars/{star}/types/Task", {"json_schema": {"type": "object"}})
    saved = lab.api("PUT", f"stars/{star}/resources/Task/browser-task", {"state": "Done"})

    assert saved.status_code in (200, 201), saved.text
    runs = page.locator("[data-testid^='nebula-execution-status-change']")
    expect(runs).to_have_count(1)
    expect(runs).to_have_text("completed")
