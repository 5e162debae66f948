"""Secret variables in a real browser: marking a row secret in the wizard turns it into a
write-only field at once, the stored secret is never sent to the page, and the deployed
version keeps both secrets sealed and shows them masked."""
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hosting import sealed
from hosting.models import Version
from tests.base import make_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STORED, TYPED = "stored-secret-9f3", "typed-secret-7c1"


def env_row(page, name: str):
    return page.locator("#env-rows .row.env").filter(has=page.locator(f'input[name=env_name][value="{name}"]'))


def test_a_variable_marked_secret_becomes_write_only_and_deploys_sealed(
        browser_page, live_world, fake_tags, quiet_tasks, screenshot):
    page, svc = browser_page, live_world["svc"]
    make_version(svc, env=[("MODE", "prod")], secret_env=[("API_KEY", sealed.seal(STORED))])
    page.goto(page.base_url + reverse("version_new", args=[svc.pk]) + "?restart=1")
    page.select_option("#id_image_tag", "v1")
    page.get_by_role("button", name="Next").click()
    stored = env_row(page, "API_KEY")
    expect(stored.locator("input[name=env_value]")).to_have_attribute("type", "password")
    expect(stored.locator("input[name=env_value]")).to_have_attribute(
        "placeholder", "set – leave blank to keep")
    expect(stored.locator("input[name=env_secret]")).to_be_checked()

    page.get_by_role("button", name="+ Add variable").click()
    fresh = page.locator("#env-rows .row.env").nth(1)  # plain rows come first, then secrets
    expect(fresh.locator("input[name=env_name]")).to_have_value("")
    fresh.locator("input[name=env_name]").fill("DB_PASSWORD")
    fresh.locator("input[name=env_value]").fill(TYPED)
    fresh.locator("input[name=env_secret]").check()
    page.get_by_role("button", name="+ Add variable").click()  # a round trip to the server
    typed = env_row(page, "DB_PASSWORD")
    expect(typed.locator("input[name=env_value]")).to_have_attribute("type", "password")
    expect(typed.locator("input[name=env_value]")).to_have_value("")
    assert TYPED not in page.content() and STORED not in page.content()
    screenshot(page, "wizard-secret-variables")

    page.get_by_role("button", name="Start deploy").click()
    expect(page.locator("h1")).to_have_text(svc.name)
    version = Version.objects.latest("pk")
    assert version.env == [["MODE", "prod"]]
    assert {n: sealed.unseal(t) for n, t in version.secret_env} == {"API_KEY": STORED, "DB_PASSWORD": TYPED}
    page.goto(page.base_url + reverse("version", args=[version.pk]))
    expect(page.locator("dl.config").last).to_contain_text("DB_PASSWORD=••••••")
    assert TYPED not in page.content() and STORED not in page.content()
