"""The runtime contract, run through the platform against each backend: Podman (local)
and the machine's real Kubernetes cluster (kubernetes, marker `cluster`).

Each test deploys through the orchestration functions (what the worker runs) and checks
what a user sees: status, reasons, addresses that answer, instances, logs.
"""
import json
import subprocess
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

from hosting import router as router_module
from hosting import runtimes
from hosting.domain.traffic import set_traffic
from hosting.domain.versions import delete_version
from hosting.models import Version
from hosting.orchestration import deploy, logs, observe, reconcile
from hosting.runtimes import specs
from tests.base import deploy_now, deploy_until, wait_for
from tests.runtime.conftest import new_version

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"


@dataclass
class Backend:
    name: str
    cluster: object = None  # tests.servers.cluster.Cluster on kubernetes

    def instances(self, version) -> list:
        return runtimes.get_runtime().observe(specs.version_selector(version.pk))

    def kill(self, observed) -> None:
        """From outside the platform: the engine's own tools."""
        if self.cluster is None:
            subprocess.run(["podman", "--url", _docker_host(), "kill", observed.name],
                           check=True, capture_output=True, timeout=60)
            return
        pod = _pod_of(self.cluster, observed)
        self.cluster.kubectl("delete", "pod", "-n", pod["metadata"]["namespace"],
                             pod["metadata"]["name"], "--grace-period=0", "--force")

    def limits(self, observed) -> tuple[int, int]:
        """(CPU millis, memory MiB) the engine enforces."""
        if self.cluster is None:
            out = subprocess.run(["podman", "--url", _docker_host(), "inspect", observed.name],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
            host = json.loads(out)[0]["HostConfig"]
            return host["NanoCpus"] // 1_000_000, host["Memory"] // 2**20
        limits = _pod_of(self.cluster, observed)["spec"]["containers"][0]["resources"]["limits"]
        return int(limits["cpu"].rstrip("m")), int(limits["memory"].rstrip("Mi"))


def _docker_host() -> str:
    from django.conf import settings

    return settings.DOCKER_HOST


def _pod_of(cluster, observed) -> dict:
    pods = cluster.get("pods", "-A", "-l", f"hosting.version={observed.labels['hosting.version']},"
                                         f"hosting.instance={observed.labels['hosting.instance']}")
    return next(p for p in pods["items"] if p["metadata"]["uid"] == observed.id)


@pytest.fixture(params=["local", pytest.param("kubernetes", marks=pytest.mark.cluster)])
def backend(request, world, registry_server, task_sends, settings):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    if request.param == "local":
        request.getfixturevalue("podman")
        yield Backend("local")
        return
    cluster = request.getfixturevalue("k8s_cluster")
    cluster.trust_registry(registry_server.host)
    prefix = f"tk{uuid.uuid4().hex[:8]}"
    settings.RUNTIME_BACKEND, settings.RUNTIME_NAMESPACE = "kubernetes", prefix
    settings.KUBECONFIG = str(cluster.kubeconfig)
    yield Backend("kubernetes", cluster)
    cluster.kubectl("delete", "namespace", "-l", f"hosting.namespace={prefix}", "--wait=false",
                    check=False)


def deployed(svc, expect: str | None = "normal", **config) -> Version:
    version = new_version(svc, **config)
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert expect is None or version.status == expect, story(version)
    return version


def story(version: Version) -> list[tuple[str, str, str]]:
    """The version's status and events, for an assertion message: what the platform saw."""
    version.refresh_from_db()
    return [("status", version.status, version.deploy_phase or "")] + [
        (e.code, str(e.message), e.detail[:300]) for e in version.events.order_by("pk")]


def get(instance, path: str = "/") -> str:
    url = f"http://{instance.host_ip}:{instance.host_port}{path}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_a_version_reaches_normal_and_answers_with_its_env_and_limits(backend, svc, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(svc, env=[("MESSAGE", "hi there")], resource_spec="c0.25-m0.5")
    assert version.status == "normal", version.latest_error()
    instance = version.instances.get()
    assert instance.ready
    assert "hosting testimage httpd ok" in get(instance)
    assert "message=hi there" in get(instance, "/cgi-bin/env")
    (observed,) = backend.instances(version)
    assert backend.limits(observed) == (250, 512)


@pytest.mark.parametrize("image, tag, words", [
    ("exits", "v1", "exited with code 3"),
    ("httpd", "missing", "Image not found"),
    ("wrongport", "v1", "the app listens on 9090"),
])
def test_a_failing_deploy_says_why(backend, svc, push_test_image, image, tag, words):
    push_test_image(REPO, "v1", image=image)
    version = deployed(svc, expect="deploy_failed", image_tag=tag)
    error = version.latest_error()
    assert words in error.message, error.message
    if image == "exits":
        assert "failing on purpose with code 3" in error.detail
    wait_for(lambda: backend.instances(version) == [], what="no instance left")


@pytest.mark.cluster
@pytest.mark.parametrize("backend", ["kubernetes"], indirect=True)  # Podman: test_deploy_podman
def test_a_registry_the_nodes_cannot_reach_fails_the_deploy_with_the_reason(backend, svc, push_test_image,
                                                                             settings):
    push_test_image(REPO, "v1", image="httpd")
    settings.KUBERNETES_REGISTRY_HOST = "127.0.0.1:9"  # nothing listens there
    version = deployed(svc, expect="deploy_failed")
    error = version.latest_error()
    assert error.message == "The image registry could not be reached.", error.message
    assert "127.0.0.1:9" in error.detail and "kubelet said" in error.detail
    assert backend.instances(version) == []


def test_it_scales_up_and_down_and_replaces_a_killed_instance(backend, svc, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(svc)
    Version.objects.filter(pk=version.pk).update(desired_instances=2)
    reconcile.converge(version.pk, wait=True)  # the activator's converge: until ready
    rows = list(version.instances.order_by("ordinal"))
    assert [(r.ordinal, r.ready) for r in rows] == [(0, True), (1, True)], story(version)
    assert all("httpd ok" in get(r) for r in rows)
    first = next(o for o in backend.instances(version) if o.labels["hosting.instance"] == "0")
    backend.kill(first)
    wait_for(lambda: not any(o.id == first.id and o.running for o in backend.instances(version)),
             what="the killed instance gone")
    reconcile.converge(version.pk, wait=True)  # the activator's converge: until ready
    replaced = version.instances.get(ordinal=0)
    assert replaced.container_id != first.id and replaced.ready
    assert "httpd ok" in get(replaced)
    Version.objects.filter(pk=version.pk).update(desired_instances=1)
    reconcile.converge(version.pk, wait=True)  # the activator's converge: until ready
    assert [o.labels["hosting.instance"] for o in backend.instances(version)] == ["0"]
    assert list(version.instances.values_list("ordinal", flat=True)) == [0]


def test_a_deleted_version_leaves_nothing_behind(backend, svc, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(svc)
    delete_version(Version.objects.get(pk=version.pk))
    deploy.remove(version.pk)
    assert backend.instances(version) == []
    assert Version.objects.get(pk=version.pk).status == "deleted"
    if backend.cluster is not None:
        left = backend.cluster.get("deployments", "-A", "-l", f"hosting.version={version.pk}")
        assert left["items"] == []


def test_a_version_deleted_while_it_deploys_ends_deleted_with_nothing_left(backend, svc, push_test_image,
                                                                           task_sends):
    push_test_image(REPO, "v1", image="httpd")
    version = new_version(svc, initial_delay_seconds=60)  # the deploy waits out the delay
    # resolve, pull, start (Kubernetes: looked at again until the pod runs), then "look
    # again" after the delay
    deploy_until(version.pk, "wait_initial_delay")
    wait_for(lambda: backend.instances(version), seconds=120, what="the started instance")
    delete_version(Version.objects.get(pk=version.pk))
    assert ("delete_version", (version.pk,)) in task_sends
    assert deploy.deploy(version.pk) is None  # the deploy's own next message: it stops
    deploy.remove(version.pk)  # the delete task
    wait_for(lambda: backend.instances(version) == [], seconds=120, what="no instance left")
    version = Version.objects.get(pk=version.pk)
    assert version.status == "deleted" and not version.instances.exists()
    if backend.cluster is not None:
        left = backend.cluster.get("deployments", "-A", "-l", f"hosting.version={version.pk}")
        assert left["items"] == []


def test_a_version_at_zero_is_woken_through_the_router_and_scales_back_to_zero(
        backend, svc, push_test_image, router, start_activator, monkeypatch):
    activator = start_activator(hold_seconds=90)  # a cold pod on a busy shared machine
    converged = _count_activator_converges(monkeypatch)
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(svc, min_replicas=0, max_replicas=2)
    assert (version.status, version.desired_instances) == ("normal", 0), version.latest_error()
    assert backend.instances(version) == []
    set_traffic(svc, {version.pk: 100})
    router_module.sync()
    for wakes in (1, 2):
        status, body, _ = router.request(svc.host, timeout=180)
        assert (status, b"hosting testimage httpd ok" in body) == (200, True), body[:300]
        assert activator.wakes == wakes
        assert Version.objects.get(pk=version.pk).desired_instances == 1
        assert version.instances.filter(ready=True).count() == 1
        assert [o.labels["hosting.instance"] for o in backend.instances(version)] == ["0"]
        # The activator answers as soon as the instance is ready; its converge may still
        # be finishing (probe, rows): scaling down concurrently would race with it.
        wait_for(lambda: converged["began"] == converged["ended"], seconds=120,
                 what="the activator's converge")
        Version.objects.filter(pk=version.pk).update(desired_instances=0)  # the autoscaler's 0
        reconcile.converge(version.pk, wait=True)
        wait_for(lambda: backend.instances(version) == [], seconds=120, what="no instance left")
        assert not version.instances.exists()
        router_module.sync()


def _count_activator_converges(monkeypatch) -> dict[str, int]:
    """How many of the activator's direct converges began and ended (they run in its
    thread pool, the request's answer does not wait for them)."""
    from hosting.activator import versions

    counts = {"began": 0, "ended": 0}
    real = versions.converge

    def converge(version_id: int) -> None:
        counts["began"] += 1  # before the wake's poll can see a ready address
        try:
            real(version_id)
        finally:
            counts["ended"] += 1

    monkeypatch.setattr(versions, "converge", converge)
    return counts


def test_logs_come_from_stdout_and_from_a_file(backend, svc, push_test_image):
    push_test_image(REPO, "v1", image="logfiles")
    version = deployed(svc, env=[("LOG_INTERVAL", "0.1")],
                       log_paths=["stdout", "/var/log/app/app.log"])
    assert version.status == "normal", version.latest_error()

    def both_sources():
        observe.collect(everything=True)  # the collect_observations task, every instance now
        return {e.source for e in logs.read_logs(version)} >= {"stdout", "/var/log/app/app.log"}

    wait_for(both_sources, what="lines from stdout and from the file")
    Version.objects.filter(pk=version.pk).update(desired_instances=0)
    reconcile.converge(version.pk, wait=True)  # the activator's converge: until ready
    assert backend.instances(version) == []
    entries = logs.read_logs(version, tail=10_000)
    lines = [(e.source, e.line) for e in entries]
    assert len(lines) == len(set(lines)), "a line was stored twice"
