"""Request metrics from real HAProxy stats, and the idle check fed by them."""
import time

import pytest

from hosting import router as router_module
from hosting.autoscale import idle
from hosting.models import MetricSample, Version
from hosting.router import haproxy, metrics
from hosting.router.converge import paths
from tests.router.conftest import serving_version

pytestmark = pytest.mark.integration


def test_a_sample_holds_the_requests_since_the_last_one(router, svc, upstream):
    version = serving_version(svc, 100, (upstream(b"ok"),))
    router_module.sync()
    metrics.sample()
    for _ in range(7):
        router.request(svc.host)
    router.request(version.preview_host)

    totals = metrics.sample()

    assert totals[version.pk].requests == 8
    row = MetricSample.objects.filter(version=version).latest("timestamp")
    assert (row.requests, row.responses_2xx, row.responses_5xx, row.instances) == (8, 8, 0, 1)
    assert row.response_ms is not None
    assert Version.objects.get(pk=version.pk).last_request is not None
    assert metrics.sample()[version.pk].requests == 0


def test_a_reload_between_samples_loses_no_count(router, svc, upstream):
    version = serving_version(svc, 100, (upstream(b"ok"),))
    router_module.sync()
    metrics.sample()
    for _ in range(3):
        router.request(svc.host)
    haproxy.ask(paths().master_socket, "reload")
    time.sleep(0.5)
    for _ in range(2):
        router.request(svc.host)

    assert metrics.sample()[version.pk].requests == 2  # counted by the new worker


def test_old_samples_are_trimmed(router, svc, upstream, settings):
    from django.utils import timezone

    version = serving_version(svc, 100, (upstream(b"ok"),))
    MetricSample.objects.create(version=version, timestamp=timezone.now() - timezone.timedelta(days=2))
    router_module.sync()

    metrics.sample()

    assert not MetricSample.objects.filter(timestamp__lt=timezone.now() - timezone.timedelta(days=1))


def test_the_idle_check_spares_a_version_that_got_traffic(router, svc, upstream, settings):
    settings.SCALE_TO_ZERO_IDLE_SECONDS = 1
    quiet = serving_version(svc, 50, (upstream(b"quiet"),), min_replicas=0)
    used = serving_version(svc, 50, (upstream(b"used"),), min_replicas=0)
    router_module.sync()
    Version.objects.filter(pk__in=[quiet.pk, used.pk]).update(status_changed="2020-01-01T00:00Z")
    metrics.sample()
    time.sleep(1.2)
    router.request(used.preview_host)

    metrics.sample()
    assert idle.scale_idle_to_zero() == [quiet.pk]

    assert Version.objects.get(pk=quiet.pk).desired_instances == 0
    assert Version.objects.get(pk=used.pk).desired_instances == 1
