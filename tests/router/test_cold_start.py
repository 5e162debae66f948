"""Cold starts on real Podman: request → HAProxy → activator → converge → container → answer."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hosting.domain.traffic import set_traffic
from hosting.models import InstanceStart, Version
from hosting.orchestration import phases
from tests.base import deploy_now, wait_for
from tests.runtime.conftest import new_version
from tests.servers.podman import version_filter

pytestmark = pytest.mark.integration
BODY = b"hosting testimage httpd ok"


@pytest.fixture
def no_broker(task_sends):
    """The activator converges in-process; nothing needs to reach a Celery worker."""
    return task_sends


@pytest.fixture
def asleep(world, podman, registry_server, push_test_image, no_broker, router, settings):
    """A deployed min-0 version of testservice with all the traffic and no instance."""
    return _asleep(world, push_test_image, settings)


@pytest.fixture
def asleep_with_delay(world, podman, registry_server, push_test_image, no_broker, router, settings):
    """The same with InitialDelaySeconds 1: a cold start long enough that the few
    milliseconds before the activator (HAProxy's hop) are small beside it."""
    return _asleep(world, push_test_image, settings, initial_delay_seconds=1)


def _asleep(world, push_test_image, settings, **config) -> Version:
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    push_test_image("alpha/testservice", "v1", image="httpd")
    version = new_version(world["svc"], min_replicas=0, max_replicas=2, **config)
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert (version.status, version.desired_instances) == ("normal", 0), version.latest_error()
    set_traffic(world["svc"], {version.pk: 100})
    from hosting import router as router_module

    router_module.sync()
    return version


def test_the_first_request_to_a_sleeping_version_is_answered(asleep, router, activator):
    status, body, _ = router.request(asleep.service.host)

    assert status == 200 and BODY in body
    assert Version.objects.get(pk=asleep.pk).desired_instances == 1
    assert asleep.instances.filter(ready=True).count() == 1


def test_twenty_concurrent_first_requests_start_one_instance(asleep, router, activator, podman):
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: router.request(asleep.preview_host), range(20)))

    assert [status for status, _, _ in answers] == [200] * 20
    assert all(BODY in body for _, body, _ in answers)
    assert activator.wakes == 1
    assert asleep.events.filter(kind="scale").count() == 1
    assert len(podman.containers.list(filters=version_filter(asleep))) == 1


def test_a_cold_starts_phases_add_up_to_its_measured_total(asleep_with_delay, router, activator):
    version = asleep_with_delay
    began = time.perf_counter()
    status, body, _ = router.request(version.preview_host)
    measured = time.perf_counter() - began
    assert status == 200 and BODY in body

    # The activator records the cold start after the response went out: wait for it.
    event = wait_for(lambda: version.events.filter(kind="instance.cold_start").first(),
                     seconds=60, what="the instance.cold_start event")
    start = InstanceStart.objects.get(version=version)
    assert start.kind == "cold"
    assert [p["name"] for p in start.phases] == ["wake", "create", "start", "delay", "health",
                                                 "proxy"]
    assert sum(phases.durations(start.phases).values()) == pytest.approx(measured, rel=0.1)
    assert start.phases[-1]["detail"] == {"status": 200}
    assert event.message.startswith(f"Cold start of {start.instance_name}: first byte ")
