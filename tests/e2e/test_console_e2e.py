"""The console end to end in Debian's Chromium: nothing is faked. The live server enqueues
to Redis, a real Celery worker (with beat) deploys on real Podman from the real registry,
and the page follows by htmx polling; HAProxy serves the preview and service URLs.

alice creates a service, pushes an image with podman, walks the wizard with the real tag,
watches the version reach normal without a reload, opens its preview, pushes an image
that exits, sees deploy failed and its error log, moves traffic, and reads it in Chinese.
"""
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from hosting.models import Service, Version
from tests.e2e.conftest import wait_for
from tests.servers.browser import open_hosting

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SERVICE = "sensor-api"
DEPLOY_TIMEOUT_MS = 45_000
HTTPD_PAGE = "hosting testimage httpd ok"


def create_service(page, name: str) -> Service:
    page.get_by_role("link", name="New service").click()
    page.fill("#id_name", name)
    expect(page.locator("#name-check")).to_contain_text(f"alpha/{name}")
    page.get_by_role("button", name="Create service").click()
    expect(page.locator("h1")).to_have_text(name)
    return Service.objects.get(name=name)


def walk_wizard(page, screenshot, tag: str, shot: str) -> None:
    """Both steps with the real tag; InitialDelaySeconds 0 keeps the test short."""
    page.get_by_role("link", name="New version").click()
    expect(page.locator("#id_image_tag")).to_contain_text(tag)
    page.select_option("#id_image_tag", tag)
    page.fill("#id_port", "8080")
    page.check("input[value=keep_zero]")
    page.fill("#id_description", f"e2e {tag}")
    screenshot(page, f"{shot}-step1")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".steps li.current")).to_contain_text("Hosting config")
    page.fill("#id_min_replicas", "1")
    page.fill("#id_max_replicas", "2")
    page.fill("#id_initial_delay_seconds", "0")
    screenshot(page, f"{shot}-step2")
    page.get_by_role("button", name="Start deploy").click()
    expect(page.locator("h1")).to_have_text(SERVICE)


def badge(page, version: Version):
    return page.locator(f"#version-{version.pk} .badge").first


def fetch(url: str, host: str | None = None) -> str:
    """The body, or "" while nothing (or an error) answers."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()
    except OSError:
        return ""


def open_preview(page, version: Version, screenshot) -> None:
    """The preview link of the versions table, through HAProxy: Chromium resolves
    <name>.preview.alpha.apps.localhost to loopback, the router picks the version by host."""
    link = page.locator(f"#version-{version.pk} a[target=_blank]")
    expect(link).to_have_text(version.preview_host)
    with page.context.expect_page() as opened:
        link.click()
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.url == version.preview_url
    expect(preview.locator("body")).to_contain_text(HTTPD_PAGE)
    screenshot(preview, "preview")
    preview.close()


def test_a_tenant_deploys_from_the_console_on_the_real_platform(
        browser_page, platform, push_test_image, e2e_images, screenshot):
    page = browser_page
    open_hosting(page)
    service = create_service(page, SERVICE)
    page.get_by_role("link", name="View upload guide").click()
    expect(page.locator("#modal")).to_contain_text(f"{service.image_base}")
    screenshot(page, "upload-guide")
    page.locator("#modal .dialog-close").click()

    push_test_image(service.repository, "v1", image="httpd-verbose")  # logs each request
    walk_wizard(page, screenshot, "v1", "wizard-v1")
    first = Version.objects.get(service=service)
    page.evaluate("window.e2eMarker = 'no reload'")  # a reload or navigation would drop it
    screenshot(page, "service-creating")
    expect(badge(page, first)).to_have_text("Normal", timeout=DEPLOY_TIMEOUT_MS)
    assert page.evaluate("window.e2eMarker") == "no reload"
    expect(page.locator(f"#version-{first.pk}")).to_contain_text("1 / 1")
    expect(page.locator("#versions")).to_have_attribute("data-busy", "0")
    screenshot(page, "service-normal")
    open_preview(page, first, screenshot)  # traffic is still 0: only the preview reaches it

    push_test_image(service.repository, "broken", image="exits")
    walk_wizard(page, screenshot, "broken", "wizard-broken")
    second = Version.objects.exclude(pk=first.pk).get(service=service)
    failed = badge(page, second)
    expect(failed).to_have_text("Deploy failed", timeout=DEPLOY_TIMEOUT_MS)
    failed.click()
    expect(page.locator("#modal")).to_contain_text("exited with code 3")
    expect(page.locator("#modal")).to_contain_text("failing on purpose with code 3")
    screenshot(page, "deploy-failed-log")
    page.locator("#modal .dialog-close").click()

    page.get_by_role("link", name="Traffic").click()
    expect(page.locator(f"input[name=share_{first.pk}]")).to_be_visible()
    expect(page.locator(f"input[name=share_{second.pk}]")).to_have_count(0)  # failed: no share
    page.fill(f"input[name=share_{first.pk}]", "100")
    screenshot(page, "traffic")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"/services/{service.pk}/$"))
    expect(page.locator(f"#version-{first.pk}")).to_contain_text("100%")
    first.refresh_from_db()
    assert first.traffic_percent == 100
    router = f"http://127.0.0.1:{platform['router'].port}/"  # the service's own URL now
    wait_for(lambda: HTTPD_PAGE in fetch(router, service.host), what="the service URL to answer")

    page.get_by_role("button", name="简体中文").click()
    expect(badge(page, first)).to_have_text("正常")
    expect(badge(page, second)).to_have_text("部署失败")
    screenshot(page, "service-zh")
    page.get_by_role("link", name=first.name, exact=True).click()
    expect(page.locator("h1")).to_have_text(first.name)
    # The live log tail: the httpd's own lines (health checks, the preview) collected by
    # the worker's reconcile passes.
    expect(page.locator("#logs pre.log")).to_contain_text("response:200", timeout=DEPLOY_TIMEOUT_MS)
    screenshot(page, "version-zh")
    wait_for(lambda: fetch("http://{0.host_ip}:{0.host_port}/".format(first.instances.get())),
             what="the first version to keep serving")
