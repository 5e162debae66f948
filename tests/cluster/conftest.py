"""Pods for the cluster tests: built as plain dicts, waited on through the API; the
platform on the kubernetes backend."""
import urllib.request
import uuid

import pytest

from hosting.runtimes import specs
from hosting.runtimes.kubernetes import names
from tests.base import wait_for

HTTPD_PORT = 8080
HTTPD_TEXT = "hosting testimage httpd ok"


def httpd_pod(name: str, image: str, pull_policy: str = "Never",
              pull_secret: str | None = None) -> dict:
    """The offline busybox httpd test image as a bare pod, ready once it answers."""
    spec = {
        "containers": [{
            "name": "web", "image": image, "imagePullPolicy": pull_policy,
            "ports": [{"containerPort": HTTPD_PORT}],
            "readinessProbe": {"httpGet": {"path": "/", "port": HTTPD_PORT},
                               "periodSeconds": 1},
        }],
        # busybox httpd as PID 1 ignores SIGTERM: do not wait 30 s for it on delete.
        "terminationGracePeriodSeconds": 1,
    }
    if pull_secret:
        spec["imagePullSecrets"] = [{"name": pull_secret}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def ready_pod(cluster, namespace: str, name: str) -> dict:
    """The pod once Ready; a pod stuck in a waiting reason fails with that reason."""
    def ready():
        pod = cluster.get("pod", name, "-n", namespace)
        conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        return pod if conditions.get("Ready") == "True" else None
    try:
        return wait_for(ready, seconds=120, every=0.2, what=f"pod {name} Ready")
    except AssertionError:
        pod = cluster.get("pod", name, "-n", namespace)
        raise AssertionError(f"pod {name} not Ready: {pod['status']}") from None


def waiting(cluster, namespace: str, name: str) -> dict:
    """The first container's waiting state ({"reason": ..., "message": ...}) or {}."""
    pod = cluster.get("pod", name, "-n", namespace)
    for status in pod["status"].get("containerStatuses", []):
        return status.get("state", {}).get("waiting") or {}
    return {}


def pods_of(cluster, version) -> list[dict]:
    """The pods of a version the platform deployed, as the API shows them."""
    selector = names.selector(specs.version_selector(version.pk))
    namespace = names.namespace(version.service.tenant_id)
    return cluster.get("pods", "-n", namespace, "-l", selector)["items"]


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@pytest.fixture(scope="session")
def httpd_image(k8s_cluster, registry_images) -> str:
    """The httpd test image, present on the node (pods use it with pullPolicy Never)."""
    return k8s_cluster.import_image(registry_images["httpd"])


@pytest.fixture
def k8s_platform(world, registry_server, task_sends, k8s_cluster, settings):
    """The platform on the kubernetes backend, its namespaces under a prefix of its own."""
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    k8s_cluster.trust_registry(registry_server.host)
    prefix = f"tn{uuid.uuid4().hex[:8]}"
    settings.RUNTIME_BACKEND, settings.RUNTIME_NAMESPACE = "kubernetes", prefix
    settings.KUBECONFIG = str(k8s_cluster.kubeconfig)
    yield k8s_cluster
    k8s_cluster.kubectl("delete", "namespace", "-l", f"hosting.namespace={prefix}",
                        "--wait=false", check=False)
