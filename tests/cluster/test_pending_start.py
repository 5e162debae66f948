"""A pod that takes its time does not hold the deploy worker: the deploy step returns
("look again") while the pod is Pending, and the step that finds it still not running
past KUBERNETES_START_TIMEOUT_SECONDS fails the deploy with the start timeout's words.

The node pulls from a registry that accepts connections and never answers, so the pull
hangs (containerd gives up only after minutes without progress) and the pod stays
Pending in ContainerCreating for as long as the test needs."""
import socket
import threading
from contextlib import contextmanager

import pytest
from django.utils import timezone

from hosting.models import Version
from hosting.orchestration import deploy
from tests.base import deploy_now, wait_for
from tests.cluster.conftest import pods_of
from tests.runtime.conftest import new_version

pytestmark = pytest.mark.cluster
START_TIMEOUT = 20


@contextmanager
def silent_registry():
    """A registry on loopback that takes every connection and never says a word; yields
    its host:port. Connections stay open until the block ends."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in [*held, server]:
            conn.close()


def pending_pod(cluster, version) -> dict | None:
    """The version's one pod while it is Pending with its container still being created
    (the pull hangs), else None."""
    pods = pods_of(cluster, version)
    if len(pods) != 1 or pods[0]["status"].get("phase") != "Pending":
        return None
    statuses = pods[0]["status"].get("containerStatuses") or [{}]
    waiting = (statuses[0].get("state") or {}).get("waiting") or {}
    return pods[0] if waiting.get("reason") == "ContainerCreating" else None


def test_the_deploy_step_returns_while_the_pod_is_pending_and_the_start_timeout_fails_it_later(
        k8s_platform, svc, push_test_image, settings):
    settings.KUBERNETES_START_TIMEOUT_SECONDS = START_TIMEOUT
    push_test_image("alpha/testservice", "v1", image="httpd")
    with silent_registry() as host:
        k8s_platform.trust_registry(host)  # plain HTTP: containerd sends its GET and waits
        settings.KUBERNETES_REGISTRY_HOST = host
        version = new_version(svc)
        # The worker's first message: resolve, pull (the nodes'), start: it asks for a
        # pod and returns "look again" instead of waiting for one.
        assert deploy.deploy(version.pk) is not None, Version.objects.get(pk=version.pk).latest_error()

        def step_returned_while_pending():
            row = Version.objects.get(pk=version.pk)
            if row.next_check_at is None or row.next_check_at <= timezone.now():
                later = deploy.deploy(version.pk)  # the message it scheduled for itself
                assert later is not None, Version.objects.get(pk=version.pk).latest_error()
            pod = pending_pod(k8s_platform, version)  # after the step returned
            instance = Version.objects.get(pk=version.pk).instances.first()
            return pod is not None and instance.container_id == pod["metadata"]["uid"] and pod

        pod = wait_for(step_returned_while_pending, seconds=120, every=0.2,
                       what="a deploy step that returned while its pod was Pending")
        version = Version.objects.get(pk=version.pk)
        assert (version.status, version.deploy_phase) == ("creating", "start_instances")
        assert version.deploy_lease_until is None  # no worker holds it between steps
        instance = version.instances.get()
        assert (instance.status, instance.ready, instance.started) == ("pending", False, None)
        # The steps go on (a message each, none waits) until the pod has been Pending
        # for the start timeout: then the deploy fails, with the same words as before.
        deploy_now(version.pk, seconds=START_TIMEOUT + 120)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "deploy_failed"
    error = version.latest_error()
    assert f"The pod {pod['metadata']['name']} did not start within {START_TIMEOUT} s." in error.message, \
        error.message
    wait_for(lambda: pods_of(k8s_platform, version) == [], seconds=120, what="the pod removed")
