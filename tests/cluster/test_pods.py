"""The cluster runs pods from locally built images, reachable from the host."""
import subprocess
from pathlib import Path

import pytest

from tests.cluster.conftest import HTTPD_PORT, HTTPD_TEXT, http_get, httpd_pod, ready_pod

pytestmark = pytest.mark.cluster
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "cluster"


def test_the_node_runs_the_pinned_release_on_containerd(k8s_cluster):
    node = k8s_cluster.get("node", "hosting-node")
    info = node["status"]["nodeInfo"]
    assert info["kubeletVersion"] == "v1.35.4"
    # The containerd built from scripts/cluster/containerd/go.mod, not Debian's 1.6.
    assert info["containerRuntimeVersion"] == "containerd://2.2.9"
    # What lets tenant pods have `hostUsers: false` (runc's idmapped mounts).
    assert all(handler["features"]["userNamespaces"] for handler in node["status"]["runtimeHandlers"])


def test_a_pod_from_a_local_image_answers_on_its_pod_ip(k8s_cluster, k8s_namespace,
                                                         httpd_image):
    k8s_cluster.apply(httpd_pod("web", httpd_image), k8s_namespace)
    pod = ready_pod(k8s_cluster, k8s_namespace, "web")
    assert pod["status"]["podIP"].startswith("10.244.0.")
    assert http_get(f"http://{pod['status']['podIP']}:{HTTPD_PORT}/").strip() == HTTPD_TEXT


def test_a_deleted_pod_is_stopped_and_removed_by_the_kubelet(k8s_cluster, k8s_namespace,
                                                            httpd_image):
    k8s_cluster.apply(httpd_pod("web", httpd_image), k8s_namespace)
    ready_pod(k8s_cluster, k8s_namespace, "web")
    # Graceful deletion ends only once the kubelet reports the containers stopped.
    k8s_cluster.kubectl("delete", "pod", "web", "-n", k8s_namespace, "--wait=true",
                        timeout=120)
    remaining = k8s_cluster.kubectl("get", "pods", "-n", k8s_namespace, "-o", "name")
    assert remaining.stdout.strip() == ""


def test_status_reports_every_component_healthy(k8s_cluster):
    result = subprocess.run([str(SCRIPTS / "status.sh")], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for component in ("etcd", "containerd", "kube-apiserver", "kube-controller-manager",
                      "kube-scheduler", "kubelet", "kube-network-policies"):
        assert any(line.startswith(f"{component}: healthy (pid ") for line in lines), lines
    assert "node hosting-node: Ready" in lines
