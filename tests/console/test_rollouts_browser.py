"""The rollout panel in a real browser: it follows the rollout without a reload, its
buttons act, and its polling ends with the rollout."""
import pytest
from playwright.sync_api import expect

from hosting.models import Rollout, Service, Version
from hosting.rollouts import actions, machine
from tests.base import make_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_panel_follows_the_rollout_and_its_buttons_act(browser_page, quiet_tasks, settings,
                                                          tmp_path, screenshot):
    settings.ROUTER_DIR = tmp_path / "router"  # syncs write the config here; no HAProxy runs
    page = browser_page
    service = Service.objects.get(name="testservice")
    old, new = make_version(service), make_version(service, traffic_policy="gradual")
    Version.objects.filter(pk=old.pk).update(status="normal", traffic_percent=100)
    Version.objects.filter(pk=new.pk).update(status="normal")
    machine.tick_all()

    page.goto(f"{page.base_url}/services/{service.pk}/")
    panel = page.locator("#rollout")
    expect(panel).to_contain_text("Step 1 of 3: 10% of the traffic.")
    expect(page.locator("#rollout-left")).to_contain_text("s left in this step.")
    screenshot(page, "rollout-panel")
    panel.get_by_role("button", name="Pause").click()
    expect(page.locator("#rollout-state")).to_have_text("Paused")
    assert Rollout.objects.get().state == "paused"

    actions.promote(service)  # e.g. from the API: the polling panel shows it, no reload
    expect(page.locator("#rollout-state")).to_have_text("Completed")
    expect(page.locator("#rollout-reason")).to_contain_text("Promoted to 100% by the platform")
    expect(panel).not_to_have_attribute("hx-trigger", "every 2s")  # polling is over
