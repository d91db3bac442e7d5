"""The resource inspector: eTag-guarded edits with a conflict dialog, field errors from the
server, and the value as of an earlier snapshot."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser._lab import LabServer
from tests.browser._nebula import define_type, open_inspector, put_resource

pytestmark = pytest.mark.browser

TICKET = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "status": {"type": "string"}},
    "required": ["title"],
}


@pytest.fixture(scope="module", autouse=True)
def ticket_type(lab: LabServer) -> None:
    define_type(lab, "Ticket", TICKET)


def test_a_conflicting_save_shows_both_versions(page: Page, lab: LabServer) -> None:
    put_resource(lab, "Ticket", "t-conflict", {"title": "first", "status": "open"})
    open_inspector(page, "Ticket", "t-conflict")
    editor = page.get_by_test_id("nebula-inspector-editor")
    expect(editor).to_have_value(re.compile('"first"'))

    editor.fill(json.dumps({"title": "mine", "status": "open"}))
    put_resource(lab, "Ticket", "t-conflict", {"title": "theirs", "status": "closed"})
    expect(page.get_by_test_id("nebula-inspector-stale")).to_be_visible()  # seen live
    page.get_by_test_id("nebula-inspector-save").click()

    dialog = page.get_by_test_id("nebula-conflict-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("nebula-conflict-mine")).to_contain_text('"mine"')
    expect(page.get_by_test_id("nebula-conflict-theirs")).to_contain_text('"theirs"')
    expect(page.get_by_test_id("nebula-conflict-theirs")).to_contain_text('"closed"')

    page.get_by_test_id("nebula-conflict-overwrite").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("nebula-inspector-saved")).to_contain_text("snapshot 3")
    star = lab.default_star()
    stored = lab.api("GET", f"stars/{star}/resources/Ticket/t-conflict").json()
    assert stored["value"] == {"title": "mine", "status": "open"}


def test_edits_show_parse_and_field_errors_inline(page: Page, lab: LabServer) -> None:
    put_resource(lab, "Ticket", "t-invalid", {"title": "ok"})
    open_inspector(page, "Ticket", "t-invalid")
    editor = page.get_by_test_id("nebula-inspector-editor")

    editor.fill('{"title": ')
    expect(page.get_by_test_id("nebula-inspector-parse-error")).to_contain_text("Not valid JSON")
    expect(page.get_by_test_id("nebula-inspector-save")).to_be_disabled()

    editor.fill(json.dumps({"status": "no title"}))
    page.get_by_test_id("nebula-inspector-save").click()
    expect(page.get_by_test_id("nebula-inspector-field-errors")).to_contain_text("title")


def test_the_as_of_slider_shows_an_earlier_value(page: Page, lab: LabServer) -> None:
    for title in ("one", "two", "three"):
        put_resource(lab, "Ticket", "t-history", {"title": title})
    open_inspector(page, "Ticket", "t-history")
    value = page.get_by_test_id("nebula-asof-value")
    expect(value).to_contain_text('"three"')
    expect(page.get_by_test_id("nebula-history")).to_contain_text('"two" → "three"')

    slider = page.get_by_test_id("nebula-asof-slider")
    slider.focus()
    page.keyboard.press("Home")
    expect(page.get_by_test_id("nebula-asof-number")).to_have_text("1")
    expect(value).to_contain_text('"one"')
    page.keyboard.press("ArrowRight")
    expect(value).to_contain_text('"two"')

    page.get_by_test_id("nebula-diff-run").click()
    expect(page.get_by_test_id("nebula-diff-result")).to_contain_text('"three"')
