"""The autoscaler tick and the idle check against the database (the policy is table-tested)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hosting.autoscale import idle, tick
from hosting.models import Instance, Version
from tests.router.conftest import serving_version


def with_cpu(version: Version, *cpus: float) -> Version:
    for ordinal, cpu in enumerate(cpus):
        Instance.objects.update_or_create(
            version=version, ordinal=ordinal,
            defaults={"name": Instance.name_for(version, ordinal), "host_port": 40000 + ordinal,
                      "ready": True, "cpu_percent": cpu})
    Version.objects.filter(pk=version.pk).update(desired_instances=len(cpus))
    return Version.objects.get(pk=version.pk)


@pytest.fixture
def version(svc):
    return serving_version(svc, 100, (), max_replicas=3)


def test_busy_instances_get_one_more(version):
    with_cpu(version, 80, 90)

    assert tick.autoscale(version.pk).delta == 1

    version.refresh_from_db()
    assert version.desired_instances == 3
    assert version.last_scaled is not None
    assert "Instances 2 → 3" in version.events.filter(kind="scale").get().message


def test_after_a_change_it_waits_for_the_cooldown(version, settings):
    settings.AUTOSCALE_COOLDOWN_SECONDS = 15
    with_cpu(version, 80, 90)
    tick.autoscale(version.pk)
    with_cpu(version, 80, 90, 95)

    assert tick.autoscale(version.pk).reason == "cooling down"
    assert tick.autoscale(version.pk, timezone.now() + timedelta(seconds=16)).saturated


def test_at_max_and_busy_the_version_is_flagged_saturated_then_cleared(version):
    with_cpu(version, 95, 95, 95)

    tick.autoscale(version.pk)
    assert Version.objects.get(pk=version.pk).saturated
    assert version.events.filter(kind="saturated", level="warning").exists()

    with_cpu(version, 50, 50, 50)
    tick.autoscale(version.pk)
    assert not Version.objects.get(pk=version.pk).saturated


def test_quiet_instances_lose_one(version):
    with_cpu(version, 10, 10, 10)

    tick.autoscale_all()

    assert Version.objects.get(pk=version.pk).desired_instances == 2


def test_it_does_not_judge_while_instances_start(version):
    with_cpu(version, 95, 95)
    Version.objects.filter(pk=version.pk).update(desired_instances=3)

    assert tick.autoscale(version.pk).reason == "converging"
    assert Version.objects.get(pk=version.pk).desired_instances == 3


def test_without_traffic_instances_go_back_to_min(svc):
    version = with_cpu(serving_version(svc, 0, (), min_replicas=1), 95, 95, 95)

    tick.autoscale(version.pk)

    assert Version.objects.get(pk=version.pk).desired_instances == 1


def test_the_idle_check_puts_min_zero_versions_to_sleep(svc, settings):
    settings.SCALE_TO_ZERO_IDLE_SECONDS = 60
    asleep = with_cpu(serving_version(svc, 50, (), min_replicas=0), 0)
    busy = with_cpu(serving_version(svc, 50, (), min_replicas=0), 0)
    kept = with_cpu(serving_version(svc, 0, (), min_replicas=1), 0)
    later = timezone.now() + timedelta(seconds=61)
    Version.objects.filter(pk=busy.pk).update(last_request=later - timedelta(seconds=5))

    assert idle.scale_idle_to_zero(later) == [asleep.pk]

    assert Version.objects.get(pk=asleep.pk).desired_instances == 0
    assert Version.objects.get(pk=busy.pk).desired_instances == 1
    assert Version.objects.get(pk=kept.pk).desired_instances == 1
    assert "scale to zero" in asleep.events.filter(kind="scale").get().message


def test_a_fresh_wake_is_not_put_back_to_sleep_at_once(svc, settings):
    settings.SCALE_TO_ZERO_IDLE_SECONDS = 60
    woken = with_cpu(serving_version(svc, 100, (), min_replicas=0), 0)
    Version.objects.filter(pk=woken.pk).update(last_scaled=timezone.now(), last_request=None)

    assert idle.scale_idle_to_zero(timezone.now() + timedelta(seconds=30)) == []
