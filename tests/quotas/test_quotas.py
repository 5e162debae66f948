"""Per-tenant quotas: arithmetic, enforcement at every door, and nothing half-saved."""
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from hosting.autoscale import tick
from hosting.domain import billing, quotas, scaling
from hosting.models import Service, Version
from hosting.status import VersionStatus
from tests.api.conftest import client_for
from tests.base import make_version

DEFAULTS = {"services": 50, "versions": 100, "instances": 100, "cpu_millis": 32000,
            "memory_mib": 65536}


def test_limits_are_the_settings_unless_the_tenant_overrides_one(world):
    alpha = world["alpha"]
    with override_settings(QUOTAS={**DEFAULTS, "instances": 7}):
        assert quotas.limits_for(alpha).instances == 7
        alpha.quota_instances = 3
        assert quotas.limits_for(alpha) == quotas.Amounts(50, 100, 3, 32000, 65536)


def test_a_version_holds_its_minimum_times_its_spec(svc):
    make_version(svc, min_replicas=2, resource_spec="c0.5-m1")
    version = make_version(svc, min_replicas=0, resource_spec="c2-m4")  # traffic 0: nothing
    assert quotas.usage_for(svc.tenant) == quotas.Amounts(1, 2, 2, 1000, 2048)
    Version.objects.filter(pk=version.pk).update(desired_instances=3)
    assert quotas.usage_for(svc.tenant).instances == 5
    assert quotas.usage_for(svc.tenant).cpu_millis == 1000 + 3 * 2000


def test_a_version_over_the_instance_quota_is_refused_and_nothing_is_saved(svc):
    svc.tenant.quota_instances = 3
    svc.tenant.save()
    make_version(svc, min_replicas=2)
    with pytest.raises(quotas.QuotaExceeded, match="at most 3 instances") as caught:
        make_version(svc, min_replicas=2)
    assert (caught.value.quota, caught.value.limit, caught.value.wanted) == ("instances", 3, 4)
    assert svc.versions.count() == 1
    svc.refresh_from_db()
    assert svc.last_sequence == 1  # the sequence number was not used up


def test_the_api_answers_409_naming_the_quota_and_its_limit(world, svc):
    svc.tenant.quota_memory_mib = 1024
    svc.tenant.save()
    body = {"service": svc.pk, "image_tag": "v1", "resource_spec": "c2-m4", "min_replicas": 1}
    response = client_for(world["alice_key"]).post("/api/v1/versions/", body, format="json")
    assert response.status_code == 409
    data = response.json()
    assert (data["code"], data["quota"], data["limit"], data["wanted"]) == (
        "quota_exceeded", "memory_mib", 1024, 4096)
    assert "memory_mib" in data["detail"] and "1024" in data["detail"]


def test_the_service_quota_holds_in_the_api(world, svc):
    world["alpha"].quota_services = 1
    world["alpha"].save()
    response = client_for(world["alice_key"]).post(
        "/api/v1/services/", {"application": svc.application_id, "name": "second"}, format="json")
    assert response.status_code == 409 and response.json()["quota"] == "services"
    assert not Service.objects.filter(name="second").exists()


def test_another_tenants_usage_does_not_count(world, svc):
    world["bravo"].quota_versions = 1
    world["bravo"].save()
    make_version(svc)
    make_version(svc)
    make_version(world["bravo_svc"])
    with pytest.raises(quotas.QuotaExceeded, match="quota versions"):
        make_version(world["bravo_svc"])


def _serving(svc, **config) -> Version:
    version = make_version(svc, **config)
    Version.objects.filter(pk=version.pk).update(
        status=VersionStatus.NORMAL, traffic_percent=100, desired_instances=version.min_replicas,
        last_scaled=timezone.now() - timedelta(hours=1))
    return Version.objects.get(pk=version.pk)


def test_the_autoscaler_stops_at_the_quota_and_says_which(svc, monkeypatch, task_sends):
    svc.tenant.quota_instances = 2
    svc.tenant.save()
    version = _serving(svc, min_replicas=2, max_replicas=5)
    hot = tick.Decision(1, False, "CPU 95% above the target 60%")
    monkeypatch.setattr(tick, "decide", lambda inputs: hot)
    monkeypatch.setattr(tick, "inputs_for", lambda v, now: (tick.Inputs(
        2, 95.0, 60, 2, 5, 100, None, now, 15), 2))
    decision = tick.autoscale(version.pk)
    version.refresh_from_db()
    assert (version.desired_instances, version.saturated) == (2, True)
    assert decision.reason.startswith("the tenant's quota instances (2 instances)")
    assert "quota instances" in version.events.get(kind="saturated").message


def test_a_sleeping_version_is_not_woken_over_the_quota(svc, task_sends):
    svc.tenant.quota_cpu_millis = 500
    svc.tenant.save()
    _serving(svc, min_replicas=1)  # holds the 500 millicores
    sleeper = _serving(svc, min_replicas=0)
    Version.objects.filter(pk=sleeper.pk).update(traffic_percent=0)
    sleeper.refresh_from_db()
    assert not scaling.wake(sleeper)
    assert "quota cpu_millis" in sleeper.events.get(kind="quota").message


def test_recharge_checks_the_quota_an_operator_lowered(svc, task_sends):
    make_version(svc, min_replicas=2)
    billing.suspend_for_arrears(svc.tenant)
    svc.tenant.quota_instances = 1
    svc.tenant.save()
    with pytest.raises(quotas.QuotaExceeded, match="at most 1 instances"):
        billing.recharge(svc.tenant)
    svc.tenant.refresh_from_db()
    assert svc.tenant.billing_status == "arrears"  # nothing changed


def test_a_new_service_over_quota_is_a_form_error(world):
    from console.forms import ServiceForm

    world["alpha"].quota_services = 1
    world["alpha"].save()
    application = world["svc"].application
    form = ServiceForm({"name": "another"}, application=application)
    assert not form.is_valid()
    assert "quota services" in form.errors["name"][0]
