"""Fixtures for the console's tests: signed-in clients, a fake tag list, and a browser.

The browser fixtures are built to be extended: `browser_page` is a Playwright page
signed in as alice against pytest-django's live_server; a test that wants real workers
and the real runtime just uses it without `quiet_tasks`.
"""
from pathlib import Path

import pytest
from django.test import Client

from tests.base import make_world

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FAKE_TAGS = ["v1", "v2"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(world) -> Client:
    return client_for(world["alice"])


@pytest.fixture
def charlie(world) -> Client:
    """A viewer in alpha: may look, may not change."""
    return client_for(world["charlie"])


@pytest.fixture
def bob(world) -> Client:
    return client_for(world["bob"])


@pytest.fixture
def fake_tags(monkeypatch):
    """The registry's tag list, without a registry."""
    tags = list(FAKE_TAGS)
    monkeypatch.setattr("console.platform.tags", lambda service: (tags, ""))
    return tags


@pytest.fixture
def quiet_tasks(task_sends):
    """Record Celery sends instead of queueing them (no worker runs in these tests)."""
    return task_sends


# -- browser ------------------------------------------------------------------------

@pytest.fixture
def live_world(transactional_db):
    return make_world()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/name.png (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def plain_http(settings):
    """The live server speaks plain HTTP: cookies must not be Secure-only."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def browser_page(browser, live_server, live_world, plain_http):
    """A page signed in as alice (owner of alpha) on the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password")
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.base_url = live_server.url
    yield page
    context.close()
