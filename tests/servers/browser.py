"""Debian's Chromium driven by Playwright's sync API (never `playwright install`).

Fixtures:
- `browser` (session): one headless Chromium for the whole run. It lives here, in one
  plugin, because the sync API allows a single Playwright per thread: a second
  session-scoped copy in another conftest (console, e2e) would fail to start.
"""
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # (set up rows, change a status) are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def open_hosting(page) -> None:
    """From the projects page, through tests.base's project and application, to hosting."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="proj", exact=True).click()
    page.get_by_role("link", name="app", exact=True).click()
    page.get_by_role("link", name="Application hosting").first.click()
    expect(page.locator("h1")).to_have_text("Application hosting")
