"""The start timeline in a real browser: it appears while a deploy runs (htmx polling)
and its bars are drawn to scale."""
import pytest
from playwright.sync_api import expect

from tests.base import make_version
from tests.console.test_timeline import cold_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_start_appears_on_the_version_page_and_its_bars_are_to_scale(browser_page, live_world,
                                                                        quiet_tasks, screenshot):
    page = browser_page
    version = make_version(live_world["svc"])  # creating: the live part polls
    page.goto(f"{page.base_url}/versions/{version.pk}/")
    expect(page.locator("h1")).to_have_text(version.name)
    expect(page.locator("#starts")).to_have_count(0)

    cold_start(version)  # recorded while the page polls the live part (version creating)
    expect(page.locator("#starts .phase-summary")).to_have_text("wake 2.10 s of 2.40 s")
    bar = page.locator("#starts .phase-bar").first.bounding_box()
    wake = page.locator("#starts .phase-bar .phase-wake").first.bounding_box()
    assert wake["width"] / bar["width"] == pytest.approx(0.875, abs=0.02)
    expect(page.locator("#starts .phase-bar")).to_have_attribute(
        "aria-label", "wake 2.10 s, create 0.10 s, health 0.10 s, proxy 0.10 s")
    screenshot(page, "start-timeline")
