"""Containers are addressed by the id the platform recorded, never by name alone: a
foreign container given the name the platform would use (on real Podman) is neither read,
counted nor adopted."""
import pytest

from hosting import runtimes
from hosting.models import Instance, LogEntry, Version
from hosting.orchestration import instances, observe
from hosting.runtimes import specs
from hosting.runtimes.base import NameConflict
from tests.base import deploy_now, wait_for
from tests.runtime.conftest import new_version
from tests.servers.podman import remove_container

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"
FOREIGN = "isolation2-foreign-line"


@pytest.fixture
def platform(world, podman, registry_server, push_test_image, task_sends, settings):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    return world


@pytest.fixture
def squatter(podman, test_images):
    """Makes a container without the platform's labels under a given name, which logs
    FOREIGN and holds memory; removed afterwards."""
    made = []

    def make(name: str):
        script = f"x=$(/bin/busybox seq 1 200000); while true; do echo {FOREIGN}; sleep 0.2; done"
        container = podman.containers.run(test_images["httpd"], ["/bin/busybox", "sh", "-c", script],
                                          name=name, detach=True)
        made.append(container)
        return container

    yield make
    for container in made:
        remove_container(container)


def test_a_same_named_foreign_container_is_not_read_counted_nor_adopted(
        platform, podman, push_test_image, squatter):
    push_test_image(REPO, "v1", image="httpd")
    version = new_version(platform["svc"])
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "normal", version.latest_error()
    instance = version.instances.get()
    name = instances.engine_name(instance)
    remove_container(podman.containers.get(instance.container_id))  # gone behind our back
    wait_for(lambda: not podman.containers.list(all=True, filters={"name": f"^{name}$"}),
             seconds=120, what="the platform's container gone")
    foreign = squatter(name)
    wait_for(lambda: FOREIGN in foreign.logs().decode(), seconds=120, what="the foreign container logs")
    runtime = runtimes.get_runtime()
    assert any(FOREIGN in line.text for line in runtime.logs(name))  # by name it would be read
    Instance.objects.filter(pk=instance.pk).update(memory_bytes=None, cpu_percent=None)

    observe.collect(everything=True)

    assert not LogEntry.objects.filter(version=version, line__contains=FOREIGN).exists()
    assert Instance.objects.get(pk=instance.pk).memory_bytes is None
    with pytest.raises(NameConflict, match="left untouched"):
        runtime.ensure(specs.instance_spec(version, instance.ordinal))
    assert podman.containers.get(name).id == foreign.id  # neither adopted nor removed
