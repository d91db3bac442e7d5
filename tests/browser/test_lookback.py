"""A Lookback chart: a time series of a type, run on the server and drawn as SVG, in the dark
theme too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser._lab import LabServer
from tests.browser._nebula import define_type, put_resource, run_command

pytestmark = pytest.mark.browser


def test_a_time_series_is_drawn(page: Page, lab: LabServer) -> None:
    define_type(lab, "Gauge")
    for n in range(3):
        put_resource(lab, "Gauge", f"g-{n}", {"level": n, "status": "open"})
    run_command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    run_command(page, "nebula:new-lookback-chart")
    page.get_by_test_id("nebula-lookback-type").select_option("Gauge")
    page.get_by_test_id("nebula-lookback-run").click()

    expect(page.get_by_test_id("nebula-lookback-chart")).to_be_visible()
    expect(page.get_by_test_id("nebula-lookback-error")).to_have_count(0)
    expect(page.get_by_test_id("nebula-lookback-table")).to_contain_text("count")
    # The last hour's tick counts the three gauges written just now.
    last_row = page.get_by_test_id("nebula-lookback-table").locator("tbody tr").last
    expect(last_row).to_contain_text("3")

    page.get_by_test_id("nebula-lookback-kind").select_option("time-in-state")
    page.get_by_test_id("nebula-lookback-run").click()
    expect(page.get_by_test_id("nebula-lookback-table")).to_contain_text("Gauge")
    expect(page.get_by_test_id("nebula-lookback-chart").locator("rect")).to_have_count(3)
