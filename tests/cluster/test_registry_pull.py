"""Pods pull tenant images from our plain-HTTP registry with an image pull secret.

The registry uses token auth issued by the test web app (live_server): the node's
containerd asks the realm for a token with the secret's credentials, like podman does.
"""
import uuid

import pytest

from tests.base import wait_for
from tests.cluster.conftest import HTTPD_PORT, HTTPD_TEXT, http_get, httpd_pod, ready_pod, waiting

pytestmark = pytest.mark.cluster


def pull_secret(cluster, namespace: str, registry_host: str, username: str,
                password: str) -> str:
    cluster.kubectl("create", "secret", "docker-registry", "pull", "-n", namespace,
                    f"--docker-server={registry_host}", f"--docker-username={username}",
                    f"--docker-password={password}")
    return "pull"


def pull_failure(cluster, namespace: str) -> dict | None:
    state = waiting(cluster, namespace, "web")
    return state if state.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None


def pull_failed_event(cluster, namespace: str) -> str | None:
    events = cluster.get("events", "-n", namespace,
                         "--field-selector=involvedObject.name=web,reason=Failed")
    messages = [e["message"] for e in events["items"] if "pull" in e["message"]]
    return messages[0] if messages else None


@pytest.fixture
def pushed_image(world, k8s_cluster, registry_server, push_test_image) -> str:
    """alice's image in the registry (a fresh tag: the node has never pulled it), in a
    repository of its own: other tests of the session count alpha/testservice's tags."""
    k8s_cluster.trust_registry(registry_server.host)
    return push_test_image("alpha/cluster-pull", "t" + uuid.uuid4().hex[:10])


def test_a_pod_pulls_its_image_with_the_tenants_pull_secret(k8s_cluster, k8s_namespace,
                                                           registry_server, pushed_image):
    secret = pull_secret(k8s_cluster, k8s_namespace, registry_server.host, "alice",
                         "alice-password")
    k8s_cluster.apply(httpd_pod("web", pushed_image, "Always", secret), k8s_namespace)
    pod = ready_pod(k8s_cluster, k8s_namespace, "web")
    assert http_get(f"http://{pod['status']['podIP']}:{HTTPD_PORT}/").strip() == HTTPD_TEXT


@pytest.mark.parametrize("username, password, refusal", [
    ("alice", "wrong-password", "401 Unauthorized"),  # the token endpoint refuses the login
    ("bob", "bob-password", "insufficient_scope"),  # a token without alpha's pull right
])
def test_a_pull_refused_by_the_registry_shows_in_the_pod_status(k8s_cluster, k8s_namespace,
                                                                registry_server, pushed_image,
                                                                username, password, refusal):
    secret = pull_secret(k8s_cluster, k8s_namespace, registry_server.host, username, password)
    k8s_cluster.apply(httpd_pod("web", pushed_image, "Always", secret), k8s_namespace)
    wait_for(lambda: pull_failure(k8s_cluster, k8s_namespace), seconds=120, every=0.2,
             what="ErrImagePull or ImagePullBackOff in the pod status")
    # The status soon says only "Back-off pulling image"; the event keeps the registry's words.
    message = wait_for(lambda: pull_failed_event(k8s_cluster, k8s_namespace), seconds=60,
                       every=0.2, what="the kubelet's Failed event")
    assert refusal in message, message
