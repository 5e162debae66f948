"""Arrears on every surface: admin actions, the API's 409, the console's banner and
disabled controls, and registry tokens that may pull but not push."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from hosting.domain import billing
from hosting.models import Tenant, Version
from hosting.status import VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_running(world):
    """Two normal versions of alpha's service (no runtime: status only), one creating."""
    versions = [make_version(world["svc"]) for _ in range(3)]
    for version in versions[:2]:
        version.set_status(VersionStatus.NORMAL, "healthy", desired_instances=1)
    return versions


@pytest.fixture
def operator(client, django_user_model):
    django_user_model.objects.create_superuser("op", password="op-password")
    client.login(username="op", password="op-password")
    return client


def admin_action(client, action: str, *tenants):
    return client.post(reverse("admin:hosting_tenant_changelist"), {
        "action": action, "_selected_action": [t.pk for t in tenants]}, follow=True)


# -- admin -----------------------------------------------------------------------------

def test_the_admin_suspends_and_recharges_with_a_count(world, operator, alpha_running,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = admin_action(operator, "suspend_for_arrears", world["alpha"])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 tenant(s) suspended for arrears; 3 versions stopped."]
    assert sent  # converge and router sync go out after commit
    assert Tenant.objects.get(slug="alpha").billing_status == "arrears"
    assert set(Version.objects.filter(tenant=world["alpha"]).values_list("status", flat=True)) == {
        "suspended"}
    assert Tenant.objects.get(slug="bravo").billing_status == "active"

    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = admin_action(operator, "recharge", world["alpha"])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 tenant(s) recharged; 3 versions are being restored."]
    assert len(sent) == 3  # one deploy task per version
    assert Tenant.objects.get(slug="alpha").billing_status == "active"
    assert set(Version.objects.filter(tenant=world["alpha"]).values_list("status", flat=True)) == {
        "adjusting"}


def test_a_second_recharge_restores_nothing(world, operator, alpha_running):
    admin_action(operator, "suspend_for_arrears", world["alpha"])
    admin_action(operator, "recharge", world["alpha"])
    response = admin_action(operator, "recharge", world["alpha"])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 tenant(s) recharged; 0 versions are being restored."]


def test_billing_status_changes_only_through_the_actions(world, operator):
    page = operator.get(reverse("admin:hosting_tenant_change", args=[world["alpha"].pk]))
    assert page.status_code == 200 and 'name="billing_status"' not in page.content.decode()
    assert "Recharge and restore versions" in operator.get(
        reverse("admin:hosting_tenant_changelist")).content.decode()


# -- API -------------------------------------------------------------------------------

def test_the_api_refuses_new_versions_in_arrears_with_409(world, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    billing.suspend_for_arrears(world["alpha"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['alice_key']}")
    response = api.post("/api/v1/versions/", {"service": world["svc"].pk, "image_tag": "v1"},
                        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "arrears"
    assert "suspended for arrears" in response.json()["detail"]
    assert not Version.objects.exists()


def test_the_api_shows_suspended_and_adjusting(world, settings, alpha_running):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['alice_key']}")
    url = f"/api/v1/versions/{alpha_running[0].pk}/"
    billing.suspend_for_arrears(world["alpha"])
    assert api.get(url).json()["status"] == "suspended"
    billing.recharge(world["alpha"])
    assert api.get(url).json()["status"] == "adjusting"


# -- console ---------------------------------------------------------------------------

def console_urls(world, version) -> list[str]:
    svc = world["svc"]
    return [reverse("home"), reverse("project", args=[svc.application.project.pk]),
            reverse("service", args=[svc.pk]), reverse("version", args=[version.pk]),
            reverse("traffic", args=[svc.pk]), reverse("tokens")]


def test_every_console_page_of_a_tenant_in_arrears_has_the_banner(world, alpha_running):
    from tests.console.conftest import client_for

    alice, bob = client_for(world["alice"]), client_for(world["bob"])
    billing.suspend_for_arrears(world["alpha"])
    for url in console_urls(world, alpha_running[0]):
        body = alice.get(url).content.decode()
        assert 'data-billing="arrears"' in body and "Suspended for arrears" in body, url
    assert 'data-billing="arrears"' not in bob.get(reverse("home")).content.decode()
    billing.recharge(world["alpha"])
    assert 'data-billing="arrears"' not in alice.get(reverse("home")).content.decode()


def test_create_and_deploy_controls_are_disabled_in_arrears(world, alpha_running, monkeypatch):
    from tests.console.conftest import client_for

    monkeypatch.setattr("console.platform.tags", lambda service: (["v1"], ""))
    alice = client_for(world["alice"])
    svc = world["svc"]
    new_url = reverse("version_new", args=[svc.pk])
    assert f'href="{new_url}?restart=1"' in alice.get(reverse("service", args=[svc.pk])).content.decode()
    billing.suspend_for_arrears(world["alpha"])
    service_page = alice.get(reverse("service", args=[svc.pk])).content.decode()
    assert f'href="{new_url}?restart=1"' not in service_page
    assert "no version can be created or deployed" in service_page  # the disabled button's title
    step1 = alice.get(new_url).content.decode()
    assert 'disabled aria-disabled="true" title="This account is suspended for arrears' in step1
    # Posting anyway (an old tab) is refused by the domain, with the reason.
    alice.post(new_url, {"image_tag": "v1", "port": "8080", "traffic_policy": "keep_zero",
                         "description": "", "action": "next"})
    response = alice.post(reverse("version_new_hosting", args=[svc.pk]), {
        "resource_spec": "c05-m1", "min_replicas": "1", "max_replicas": "2", "cpu_target": "60",
        "log_paths": ["stdout"], "initial_delay_seconds": "2", "action": "deploy"})
    assert "suspended for arrears" in response.content.decode()
    assert Version.objects.count() == 3


def test_badges_read_in_the_seeds_words(world, alpha_running):
    from tests.console.conftest import client_for

    alice = client_for(world["alice"])
    url = reverse("service", args=[world["svc"].pk])
    billing.suspend_for_arrears(world["alpha"])
    body = alice.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-status="suspended"' in body and "已停机" in body and "欠费停机" in body
    billing.recharge(world["alpha"])
    body = alice.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-status="adjusting"' in body and "版本调整中" in body


# -- registry --------------------------------------------------------------------------

def test_registry_tokens_pull_but_do_not_push_in_arrears(world):
    from hosting.registry import scopes, tokens

    wanted = scopes.parse_scopes(["repository:alpha/testservice:pull,push"])
    principal = tokens.principal_for("alice", "alice-password")
    assert principal.grant(wanted)[0]["actions"] == ["pull", "push"]
    billing.suspend_for_arrears(world["alpha"])
    principal = tokens.principal_for("alice", "alice-password")
    assert principal.grant(wanted)[0]["actions"] == ["pull"]
    other = scopes.parse_scopes(["repository:bravo/othersvc:pull,push"])
    assert tokens.principal_for("bob", "bob-password").grant(other)[0]["actions"] == ["pull", "push"]
