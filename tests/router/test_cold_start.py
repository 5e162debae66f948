"""Cold starts on real Podman: request → HAProxy → activator → converge → container → answer."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from hosting.domain.traffic import set_traffic
from hosting.models import Version
from tests.base import deploy_now
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
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    push_test_image("alpha/testservice", "v1", image="httpd")
    version = new_version(world["svc"], min_replicas=0, max_replicas=2)
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
