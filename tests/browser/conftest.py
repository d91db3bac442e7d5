"""Fixtures for tests that drive JupyterLab with Nebula in headless Chromium.

Reuse them from any ``tests/browser/test_*.py`` (mark each module ``pytestmark =
pytest.mark.browser``, so ``-m browser`` / ``-m 'not browser'`` select them):

- ``lab`` (session): a real ``jupyter lab`` subprocess on a free loopback port with a known
  token, its root a temporary directory holding a copy of ``notebooks/`` (the Nebula store is
  ``<root>/.nebula/nebula.duckdb``), stopped at the end. A :class:`~tests.browser._lab.LabServer`:
  ``lab.url``, ``lab.token``, ``lab.root``, ``lab.lab_url`` (the page, logged in, with a fresh
  workspace), ``lab.api(method, path, body)`` for Nebula's REST API (``path`` relative to
  ``nebula/api/v1/``) and ``lab.default_star()``. Its log is ``artifacts/browser/lab.log``.
- ``browser`` (per module): Debian's Chromium (``/usr/bin/chromium``) driven by Playwright's sync
  API, no browser download. Missing Chromium skips these tests, except under ``CI=true`` where
  it fails them: CI never silently skips the browser.
- ``page`` (per test): a new browser context on JupyterLab, the splash screen gone and the
  layout restored. ``window.jupyterapp`` is the application; ``_nebula.run_command(page,
  "nebula:refresh")`` runs one of its commands. After the test, pass or fail, a
  screenshot is saved to ``artifacts/screenshots/<test name>.png``.
- ``kernel_code`` (session): ``kernel_code(source)`` runs Python in a kernel that the Jupyter
  server started (so ``nk.connect()`` finds the server) and returns its stdout.

Tests should make their own resources (unique ids) so that they do not depend on each other.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser._kernel import KernelRunner
from tests.browser._lab import LabServer, running_lab

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: this machine has no network beyond loopback, so background services
# (component updates, safe browsing) only slow the browser down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SPLASH_TIMEOUT_MS = 60_000


# pytest-jupyter's autouse fixtures (tests/conftest.py loads the plugin) would close the event
# loop Playwright's sync API runs and clean up an in-process server these tests do not have.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """No loop of our own here."""


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process server here: the lab runs in its own process."""


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    with running_lab(tmp_path_factory.mktemp("lab"), ARTIFACTS / "browser" / "lab.log") as server:
        yield server


# Per module, not per session: Playwright's sync API keeps an asyncio loop running while it is
# open, and the suites after these (with pytest-jupyter's loop fixtures) need it stopped.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (scripts/test does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


def _screenshot_path(node_name: str) -> Path:
    return ARTIFACTS / "screenshots" / (re.sub(r"[^A-Za-z0-9_.-]+", "_", node_name) + ".png")


@pytest.fixture
def page(browser: Browser, lab: LabServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    try:
        opened.goto(lab.lab_url)
        opened.wait_for_selector("#jupyterlab-splash", state="detached", timeout=SPLASH_TIMEOUT_MS)
        # The layout is restored after the splash goes; clicks before that may be undone.
        opened.wait_for_function("() => window.jupyterapp !== undefined")
        opened.evaluate("() => window.jupyterapp.restored.then(() => true)")
        yield opened
    finally:
        path = _screenshot_path(request.node.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(path))
        context.close()


@pytest.fixture(scope="session")
def kernel_code(lab: LabServer) -> Iterator[Callable[[str], str]]:
    with KernelRunner(lab) as runner:
        yield runner.run
