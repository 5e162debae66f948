"""The cluster runs pods from locally built images, reachable from the host."""
import pytest

from tests.cluster.conftest import HTTPD_PORT, HTTPD_TEXT, http_get, httpd_pod, ready_pod

pytestmark = pytest.mark.cluster


def test_the_node_runs_the_pinned_release_on_containerd(k8s_cluster):
    node = k8s_cluster.get("node", "hosting-node")
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.35.4"
    assert info["containerRuntimeVersion"].startswith("containerd://")


def test_a_pod_from_a_local_image_answers_on_its_pod_ip(k8s_cluster, k8s_namespace,
                                                         httpd_image):
    k8s_cluster.apply(httpd_pod("web", httpd_image), k8s_namespace)
    pod = ready_pod(k8s_cluster, k8s_namespace, "web")
    assert pod["status"]["podIP"].startswith("10.244.0.")
    assert http_get(f"http://{pod['status']['podIP']}:{HTTPD_PORT}/").strip() == HTTPD_TEXT


def test_a_deleted_pod_is_gone_from_the_node(k8s_cluster, k8s_namespace, httpd_image):
    k8s_cluster.apply(httpd_pod("web", httpd_image), k8s_namespace)
    ready_pod(k8s_cluster, k8s_namespace, "web")
    k8s_cluster.kubectl("delete", "pod", "web", "-n", k8s_namespace, "--wait=true",
                        timeout=120)
    remaining = k8s_cluster.kubectl("get", "pods", "-n", k8s_namespace, "-o", "name")
    assert remaining.stdout.strip() == ""
