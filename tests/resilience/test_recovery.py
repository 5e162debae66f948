"""Issue 3's promise on real parts: the deploy converges after a worker was killed with -9
mid-deploy, after Redis lost the deploy's message, and when the task is delivered twice.

Real Podman, the real registry, real Celery workers (with beat) as subprocesses, real
redis-server processes. The stall period is STALL_SECONDS, so each test takes seconds.
"""
import threading

import pytest
from django.conf import settings
from django.db import connection

from hosting.models import Version
from hosting.orchestration import lease
from tests.base import deploy_now
from tests.resilience.conftest import wait_for
from tests.runtime.conftest import new_version
from tests.servers.podman import version_filter

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"


def listed(podman, filters: dict) -> list[dict]:
    """{"id", "name", "state"} of the containers matching `filters`, in one listing (no
    inspect per container, which would race with the reconcile loop replacing one)."""
    return [{"id": c["Id"], "name": c["Names"][0].lstrip("/"), "state": c["State"]}
            for c in podman.api.containers(all=True, filters=filters)]


def labelled(podman, version) -> list[dict]:
    return listed(podman, version_filter(version))


def ids(podman, version) -> dict[str, str]:
    return {c["name"]: c["id"] for c in labelled(podman, version)}


def namespace_containers(podman) -> set[str]:
    """Every container of this test run (a duplicate or an orphan would show up here)."""
    return {c["name"] for c in listed(podman, {"label": f"hosting.namespace={settings.RUNTIME_NAMESPACE}"})}


def settled(version) -> bool:
    """normal, and the deploy that made it so has given its lease back (just after)."""
    row = Version.objects.values("status", "deploy_lease_until").get(pk=version.pk)
    return row["status"] == "normal" and row["deploy_lease_until"] is None


def assert_converged(podman, version, count: int) -> Version:
    """normal, `count` running containers, `count` ready rows, nothing else, no lease."""
    version = Version.objects.get(pk=version.pk)
    assert version.status == "normal", version.latest_error()
    containers = labelled(podman, version)
    assert len(containers) == count == version.desired_instances, containers
    assert all(c["state"] == "running" for c in containers), containers
    assert namespace_containers(podman) == {c["name"] for c in containers}
    assert version.instances.filter(ready=True).count() == count == version.instances.count()
    assert version.deploy_lease_until is None
    return version


def test_a_deploy_killed_with_its_worker_is_finished_by_a_fresh_worker(
        resilient, podman, push_test_image, shared_broker, workers):
    push_test_image(REPO, "v1")
    group = workers(shared_broker)
    first = group.start()
    version = new_version(resilient["svc"], min_replicas=2, initial_delay_seconds=8)
    wait_for(lambda: version.events.filter(kind="deploy:delay").exists(),
             what="the deploy waiting out InitialDelaySeconds")
    before = ids(podman, version)
    assert len(before) == 2

    group.kill(first)  # kill -9: workers, pool children, beat, the scheduled look with them
    dead = Version.objects.get(pk=version.pk)
    assert dead.status == "creating" and dead.next_check_at is not None  # a look was due
    group.start()

    wait_for(lambda: settled(version), what="normal after a fresh worker started")
    version = assert_converged(podman, version, 2)
    assert ids(podman, version) == before  # the same two containers: adopted, not duplicated
    assert version.events.filter(kind="deploy:resume").exists()
    assert version.events.filter(kind="status:normal").count() == 1


def test_a_deploy_message_lost_in_a_redis_restart_is_resumed_by_the_reconcile_pass(
        resilient, podman, push_test_image, private_redis, workers):
    push_test_image(REPO, "v1")
    group = workers(private_redis.url)
    version = new_version(resilient["svc"])  # queued in the private Redis; no worker yet
    with private_redis.client() as client:
        assert client.llen("deploy") == 1
    private_redis.restart()  # nothing persisted: the message is gone
    with private_redis.client() as client:
        assert client.llen("deploy") == 0
    group.start()

    wait_for(lambda: settled(version), what="normal through the reconcile pass")
    version = assert_converged(podman, version, 1)
    assert version.events.filter(kind="deploy:resume").exists()

    # Redis restarts again under the running worker and beat: they reconnect, and the
    # reconcile loop still replaces a container killed from outside.
    (killed,) = labelled(podman, version)
    private_redis.restart()
    podman.api.kill(killed["id"])

    def replaced() -> bool:
        containers = labelled(podman, version)
        return (len(containers) == 1 and containers[0]["id"] != killed["id"]
                and containers[0]["state"] == "running"
                and version.instances.filter(ready=True).exists())

    wait_for(replaced, what="the killed container replaced after the Redis restart")
    assert_converged(podman, version, 1)


def run_twice_at_once(function, *args) -> None:
    """Call `function(*args)` in two threads released together, as two deliveries of one
    message to two worker processes would."""
    barrier, errors = threading.Barrier(2), []

    def deliver():
        try:
            barrier.wait(timeout=10)
            function(*args)
        except Exception as exc:  # reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.fixture
def no_broker(task_sends):
    """The test delivers the deploy itself; nothing is sent to Redis."""
    return task_sends


def test_a_deploy_delivered_twice_at_once_makes_one_set_of_containers(
        resilient, podman, push_test_image, no_broker):
    push_test_image(REPO, "v1")
    version = new_version(resilient["svc"], min_replicas=2, initial_delay_seconds=1)
    run_twice_at_once(deploy_now, version.pk)
    version = assert_converged(podman, version, 2)
    assert version.events.filter(kind="status:normal").count() == 1
    assert version.events.filter(kind="deploy:start").count() == 2  # one run started them


def test_two_deploys_running_at_once_without_the_lease_stay_harmless(
        resilient, podman, push_test_image, no_broker, monkeypatch):
    """The lease is a fence, not a lock (a frozen worker can outlive it): two full runs
    side by side still make one container per ordinal and one normal version."""
    push_test_image(REPO, "v1")
    monkeypatch.setattr(lease, "acquire", lambda version_id: True)
    version = new_version(resilient["svc"], min_replicas=2, initial_delay_seconds=1)
    run_twice_at_once(deploy_now, version.pk)
    assert_converged(podman, version, 2)
