"""Arrears and recharge on real Podman with the real registry: the container goes away
while suspended and a fresh one answers after the restore through `adjusting`."""
import urllib.request

import pytest

from hosting.domain import billing
from hosting.domain.traffic import set_traffic
from hosting.models import Version
from hosting.orchestration import reconcile
from tests.base import deploy_now, wait_for
from tests.runtime.conftest import new_version
from tests.servers.podman import version_filter

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"


@pytest.fixture
def sent(task_sends):
    """Celery sends, recorded instead of queued: the test runs the worker's part itself."""
    return task_sends


def labelled(podman, version) -> list:
    return podman.containers.list(all=True, filters=version_filter(version))


def get(instance) -> str:
    """The app's page at the instance's address (its container's, on its network)."""
    with urllib.request.urlopen(f"http://{instance.host_ip}:{instance.host_port}/", timeout=5) as response:
        return response.read().decode()


def test_suspend_removes_the_container_and_recharge_brings_a_working_one_back(
        world, podman, registry_server, push_test_image, sent, settings,
        django_capture_on_commit_callbacks):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    push_test_image(REPO, "v1", image="httpd")
    version = new_version(world["svc"])
    deploy_now(version.pk)
    version.refresh_from_db()
    assert version.status == "normal", version.latest_error()
    set_traffic(world["svc"], {version.pk: 100})
    (before,) = labelled(podman, version)
    assert "hosting testimage httpd ok" in get(version.instances.get())

    with django_capture_on_commit_callbacks(execute=True):
        assert billing.suspend_for_arrears(world["alpha"]) == 1
    assert ("converge_version", (version.pk,)) in sent
    reconcile.converge(version.pk)  # what the worker does with that message
    version.refresh_from_db()
    assert version.status == "suspended" and version.desired_instances == 0
    assert version.traffic_percent == 100
    assert labelled(podman, version) == [] and not version.instances.exists()
    reconcile.reconcile_all()  # the periodic pass does not bring it back
    assert labelled(podman, version) == []

    with django_capture_on_commit_callbacks(execute=True):
        assert billing.recharge(world["alpha"]) == 1
    assert Version.objects.get(pk=version.pk).status == "adjusting"
    assert ("deploy_version", (version.pk,)) in sent
    deploy_now(version.pk)  # the worker's task
    version.refresh_from_db()
    assert version.status == "normal", version.latest_error()
    assert version.traffic_percent == 100
    statuses = list(version.events.filter(kind__startswith="status:").order_by("id")
                    .values_list("kind", flat=True))
    assert statuses[-3:] == ["status:suspended", "status:adjusting", "status:normal"]
    (after,) = labelled(podman, version)
    assert after.id != before.id
    after.reload()
    assert after.status == "running"
    instance = version.instances.get()
    assert instance.ready
    assert "hosting testimage httpd ok" in wait_for(lambda: get(instance))
