"""docker/kubernetes: the kustomize base renders (with `kubectl kustomize` when a kubectl
is on this machine, else from the base's files) into what the issue asks for: every part
as a Deployment with probes and requests, non-root pods, a PDB for web, a migrations Job,
and RBAC limited to what the Kubernetes backend needs."""
import glob
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "docker" / "kubernetes"
PARTS = {"web", "worker", "beat", "activator", "router", "registry", "postgres", "redis"}
ALLOWED = {  # (api group, resource): the backend's needs
    ("", "namespaces"), ("", "resourcequotas"), ("", "limitranges"), ("", "secrets"),
    ("", "services"), ("", "pods"), ("", "pods/log"), ("apps", "deployments"),
    ("apps", "deployments/scale"), ("networking.k8s.io", "networkpolicies"),
    ("", "pods/exec"), ("", "nodes/proxy"), ("apps", "replicasets"),
}


def kubectl() -> str | None:
    found = sorted(glob.glob("/var/cache/hosting-cluster/*/bin/kubectl"))
    return found[-1] if found else shutil.which("kubectl")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("kube") / "kubernetes"
    shutil.copytree(KUBE, work, ignore=shutil.ignore_patterns("secrets.env"))
    shutil.copy(work / "base" / "secrets.env.example", work / "base" / "secrets.env")
    return work


def render(binary: str, directory: Path) -> list[dict]:
    text = subprocess.run([binary, "kustomize", str(directory)], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    return [doc for doc in yaml.safe_load_all(text) if doc]


@pytest.fixture(scope="module")
def objects(work) -> list[dict]:
    binary = kubectl()
    if binary:
        return render(binary, work / "base")
    kustomization = yaml.safe_load((work / "base" / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"]
            for doc in yaml.safe_load_all((work / "base" / name).read_text()) if doc]


def of_kind(objects, kind) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_part_is_a_deployment_with_probes_requests_and_no_root(objects):
    deployments = of_kind(objects, "Deployment")
    assert PARTS <= set(deployments)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["readinessProbe"] and container["livenessProbe"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_web_has_a_disruption_budget_and_migrations_run_as_a_job(objects):
    budgets = of_kind(objects, "PodDisruptionBudget")
    assert budgets["web"]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "web"}
    assert of_kind(objects, "Deployment")["web"]["spec"]["replicas"] >= 2
    job = of_kind(objects, "Job")["migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_rbac_grants_only_what_the_kubernetes_backend_needs(objects):
    role = of_kind(objects, "ClusterRole")["hosting-runtime"]
    granted = {(group, resource) for rule in role["rules"]
               for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted <= ALLOWED
    assert all("*" not in rule["verbs"] for rule in role["rules"])
    pods = [r for r in role["rules"] if r["resources"] == ["pods"]]
    # Pods are made by their Deployments: the backend only labels and deletes them.
    assert pods and set(pods[0]["verbs"]) == {"get", "list", "watch", "patch", "delete"}


def test_settings_and_secrets_reach_every_platform_container(objects):
    for name, deployment in of_kind(objects, "Deployment").items():
        sources = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        refs = {next(iter(s)) for s in sources}
        assert refs == {"configMapRef", "secretRef"}, name


def test_the_platform_namespace_is_labelled_for_tenant_network_policies(objects):
    namespace = of_kind(objects, "Namespace")["hosting-system"]
    assert namespace["metadata"]["labels"]["hosting.platform/role"] == "platform"


def test_single_node_runs_every_part_on_the_node_network_without_services(work):
    """A cluster without DNS or kube-proxy: no Service is used, database and broker are
    reached on the node's loopback, the API server at the address node.env gives."""
    binary = kubectl()
    if not binary:
        pytest.skip("kubectl renders the overlay's patches (make cluster builds one)")
    objects = render(binary, work / "single-node")
    assert not of_kind(objects, "Service")
    config = next(iter(of_kind(objects, "ConfigMap").values()))["data"]
    assert config["KUBERNETES_SERVICE_HOST"] == "127.0.0.1"
    pods = [o["spec"]["template"]["spec"] for o in objects if o["kind"] in ("Deployment", "Job")]
    assert len(pods) == len(PARTS) + 1
    for pod in pods:
        assert pod["hostNetwork"] is True
        assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"  # imported image
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        assert "@127.0.0.1:$(POSTGRES_PORT)/" in env["DATABASE_URL"]
        assert "@127.0.0.1:$(REDIS_PORT)/" in env["REDIS_URL"]
    assert of_kind(objects, "Deployment")["web"]["spec"]["strategy"] == {"type": "Recreate"}
