"""The console in a real browser (Debian's Chromium through Playwright) on a live server.

Workers are not running here (`quiet_tasks`): the test moves versions through their states
itself, the way the deploy pipeline would, and watches the page follow without reloading.
A run against the real runtime can reuse `browser_page` without `quiet_tasks`/`fake_tags`.
"""
import re

import pytest
from playwright.sync_api import expect

from hosting.models import Service, Version
from hosting.status import VersionStatus
from tests.base import make_version
from tests.servers.browser import open_hosting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def create_service(page, name: str) -> Service:
    page.get_by_role("link", name="New service").click()
    page.fill("#id_name", "Bad_Name")
    expect(page.locator("#name-check")).to_contain_text("lowercase letters")
    page.fill("#id_name", name)
    expect(page.locator("#name-check")).to_contain_text(f"alpha/{name}")
    page.get_by_role("button", name="Create service").click()
    expect(page.locator("h1")).to_have_text(name)
    return Service.objects.get(name=name)


def walk_wizard(page, screenshot) -> None:
    page.get_by_role("link", name="New version").click()
    expect(page.locator("#version-limit")).to_contain_text("0 of at most 10 versions")
    page.select_option("#id_image_tag", "v1")
    page.fill("#id_port", "0")
    page.fill("#id_description", "设备接入" * 13)  # 52 characters: the counter turns red
    expect(page.locator("#description-counter")).to_have_text("52/50")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".field-errors").first).to_contain_text("port must be a whole number")
    expect(page.locator("#id_description")).to_have_value("设备接入" * 13)  # nothing lost
    page.fill("#id_port", "8080")
    page.fill("#id_description", "first version")
    page.check("input[value=open_full]")
    screenshot(page, "wizard-step1")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".steps li.current")).to_contain_text("Hosting config")
    page.fill("#id_min_replicas", "0")
    page.get_by_role("button", name="+ Add variable").click()
    page.locator("input[name=env_name]").last.fill("MODE")
    page.locator("input[name=env_value]").last.fill("demo")
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("#id_port")).to_have_value("8080")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#id_min_replicas")).to_have_value("0")
    expect(page.locator("input[name=env_name]").last).to_have_value("MODE")
    screenshot(page, "wizard-step2")
    page.get_by_role("button", name="Start deploy").click()


def test_create_a_service_deploy_a_version_and_watch_it(browser_page, fake_tags, quiet_tasks, screenshot):
    page = browser_page
    open_hosting(page)
    service = create_service(page, "sensor-api")
    page.get_by_role("link", name="View upload guide").click()
    expect(page.locator("#modal")).to_be_visible()
    expect(page.locator("#modal")).to_contain_text("alpha/sensor-api")
    screenshot(page, "upload-guide")
    page.locator("#modal .dialog-close").click()

    walk_wizard(page, screenshot)
    expect(page.locator("h1")).to_have_text("sensor-api")
    first = Version.objects.get(service=service)
    assert (first.port, first.min_replicas, first.env) == (8080, 0, [["MODE", "demo"]])
    assert ("deploy_version", (first.pk,)) in quiet_tasks
    badge = page.locator(f"#version-{first.pk} .badge").first
    expect(badge).to_have_text("Creating")
    screenshot(page, "service-creating")

    # The pipeline's work, done by hand: the page follows by polling, without a reload.
    second = make_version(service)
    first.set_status(VersionStatus.NORMAL, "Deployed.", desired_instances=1, traffic_percent=100)
    expect(badge).to_have_text("Normal", timeout=30_000)
    second.set_status(VersionStatus.DEPLOY_FAILED, "Health check failed.",
                      detail="GET / on port 8080: connection refused (3 attempts)")
    failed = page.locator(f"#version-{second.pk} .badge").first
    expect(failed).to_have_text("Deploy failed", timeout=30_000)
    expect(page.locator("#versions")).to_have_attribute("data-busy", "0")
    failed.click()
    expect(page.locator("#modal")).to_contain_text("connection refused (3 attempts)")
    screenshot(page, "deploy-failed-log")
    page.locator("#modal .dialog-close").click()

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator(f"#version-{first.pk} .badge").first).to_have_text("正常")
    expect(page.locator(f"#version-{second.pk} .badge").first).to_have_text("部署失败")
    screenshot(page, "service-zh")
    page.get_by_role("link", name=first.name, exact=True).click()
    expect(page.locator("h1")).to_have_text(first.name)
    screenshot(page, "version-zh")


def test_traffic_page_moves_shares(browser_page, quiet_tasks, screenshot):
    page = browser_page
    service = Service.objects.get(name="testservice")
    a, b = make_version(service), make_version(service)
    a.set_status(VersionStatus.NORMAL, traffic_percent=100)
    b.set_status(VersionStatus.NORMAL)
    page.goto(f"{page.base_url}/services/{service.pk}/traffic/")
    page.fill(f"input[name=share_{a.pk}]", "60")
    page.fill(f"input[name=share_{b.pk}]", "30")
    expect(page.locator("#share-sum")).to_have_text("Σ 90%")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#traffic-form .error")).to_contain_text("add up to 100")
    page.fill(f"input[name=share_{b.pk}]", "40")
    screenshot(page, "traffic")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"/services/{service.pk}/$"))
    b.refresh_from_db()
    assert b.traffic_percent == 40


def test_core_forms_work_without_javascript(browser, live_server, live_world, plain_http, fake_tags, screenshot):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password")
    page.click("form.login button[type=submit]")
    page.get_by_role("link", name="New project").click()
    page.fill("#id_name", "no-js")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("no-js")
    service = Service.objects.get(name="testservice")
    page.goto(f"{live_server.url}/services/{service.pk}/versions/new/")
    page.select_option("#id_image_tag", "v2")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="+ Add path").click()
    expect(page.locator("input[name=log_paths]")).to_have_count(2)
    screenshot(page, "no-js-step2")
    context.close()
