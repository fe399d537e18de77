"""A real headless browser: Debian's chromium, driven by Playwright (no browser download).
The app runs in the test process on a live HTTP server, so tests can move the clock."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import _serve

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The machine has no network: chromium must not try to reach Google's services at start.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM to its path"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(seeded):
    """Chromium needs a socket: here the app is served over real HTTP on a loopback port."""
    yield from _serve(seeded)


@pytest.fixture
def expired_server(expired):
    yield from _serve(expired)


@pytest.fixture
def new_page(browser, live_server):
    """Pages with their own cookies (one per person in a journey), on the live server."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        ctx = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": height}, locale="zh-CN"
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
