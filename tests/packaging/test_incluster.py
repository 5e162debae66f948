"""The platform installed on the machine's Kubernetes cluster as an operator would: the
image is built (docker/build.sh, cached layers) and imported into the node, the
single-node overlay is applied through a test overlay (a namespace, host directories,
node ports and tenant namespace prefix of its own), every pod becomes Ready, the console
answers through `kubectl port-forward`, a user pushes an image into the in-cluster
registry, deploys it through the API, and the platform runs it as a pod on the same
cluster, reached through the in-cluster router. Everything it made is deleted after.

Run it alone: `pytest -m incluster` (or `make test-install`, with the compose test)."""
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.base import wait_for
from tests.packaging import client
from tests.servers.podman import build_images
from tests.servers.router import free_port

pytestmark = [pytest.mark.integration, pytest.mark.packaging, pytest.mark.incluster]
ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/incluster-hosting"
READY_SECONDS = 600  # generous: image unpacking, initdb and migrations on a loaded machine
DEPLOY_SECONDS = 300
DATA_UID = 10001  # the image's user: hostPath volumes get no fsGroup


def run(*argv: str, env: dict | None = None, timeout: float = 600) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def image(k8s_cluster) -> str:
    """The built image under a tag naming its content, in the node's containerd: a tag
    other than `latest` lets pods use the imported image (pull policy IfNotPresent)."""
    started = time.monotonic()
    built = run(str(ROOT / "docker" / "build.sh"), env={**os.environ, "IMAGE": f"{IMAGE}:latest"},
                timeout=1800).split()[-1]
    print(f"incluster: image build {time.monotonic() - started:.0f} s")
    digest = run("podman", "image", "inspect", "--format", "{{.Id}}", built).strip()
    ref = f"{IMAGE}:{digest[:12]}"
    run("podman", "tag", built, ref)
    if ref not in k8s_cluster.ctr("images", "ls", "-q").stdout.split():
        started = time.monotonic()
        k8s_cluster.import_image(ref)
        print(f"incluster: import into the node {time.monotonic() - started:.0f} s")
    return ref


class Install:
    """One install of docker/kubernetes/single-node, isolated by a test overlay."""

    def __init__(self, cluster, work: Path, image: str):
        self.cluster = cluster
        self.id = uuid.uuid4().hex[:6]
        self.namespace = f"incluster-{self.id}"
        self.tenant_prefix = f"incluster{self.id}"
        self.ports = {name: free_port() for name in
                      ("web", "router", "activator", "registry", "postgres", "redis")}
        self.web = f"http://127.0.0.1:{self.ports['web']}"
        self.registry = f"127.0.0.1:{self.ports['registry']}"
        self.data = work / "data"
        self.kube = work / "kubernetes"
        shutil.copytree(ROOT / "docker" / "kubernetes", self.kube,
                        ignore=shutil.ignore_patterns("secrets.env"))
        run(str(self.kube / "setup.sh"))  # generated secrets, in the copy
        for name in ("var", "postgres", "registry"):
            (self.data / name).mkdir(parents=True)
            os.chown(self.data / name, DATA_UID, DATA_UID)
        (self.kube / "test").mkdir()
        (self.kube / "test" / "kustomization.yaml").write_text(json.dumps(self.overlay(image)))

    def settings(self) -> list[str]:
        ports = self.ports
        return [f"WEB_ADDR=127.0.0.1:{ports['web']}", f"ROUTER_PORT={ports['router']}",
                f"ACTIVATOR_PORT={ports['activator']}", f"REGISTRY_HOST={self.registry}",
                f"REGISTRY_TOKEN_REALM={self.web}/registry/token/",
                f"POSTGRES_PORT={ports['postgres']}", f"REDIS_PORT={ports['redis']}",
                f"KUBERNETES_NAMESPACE_PREFIX={self.tenant_prefix}",
                f"RUNTIME_NAMESPACE={self.tenant_prefix}"]

    def overlay(self, image: str) -> dict:
        """Cluster-wide names (role, binding, volumes) get the install's id; kustomize's
        namespace leaves the binding's subject alone, so it is set here too."""
        name, tag = image.rsplit(":", 1)
        patches = [self._rename("ClusterRole", "hosting-runtime", "runtime"),
                   self._rename("ClusterRoleBinding", "hosting-runtime", "runtime", [
                       {"op": "replace", "path": "/roleRef/name", "value": self._cluster_name("runtime")},
                       {"op": "replace", "path": "/subjects/0/namespace", "value": self.namespace}])]
        for volume, claim, directory in (("hosting-var", "hosting-var", "var"),
                                         ("hosting-postgres-data", "postgres-data", "postgres"),
                                         ("hosting-registry-data", "registry-data", "registry")):
            patches.append(self._rename("PersistentVolume", volume, directory, [
                {"op": "replace", "path": "/spec/hostPath/path", "value": str(self.data / directory)}]))
            patches.append({"target": {"kind": "PersistentVolumeClaim", "name": claim},
                            "patch": json.dumps([{"op": "replace", "path": "/spec/volumeName",
                                                  "value": self._cluster_name(directory)}])})
        return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                "namespace": self.namespace, "resources": ["../single-node"],
                "configMapGenerator": [{"name": "hosting-config", "behavior": "merge",
                                        "literals": self.settings()}],
                "images": [{"name": "localhost/hosting", "newName": name, "newTag": tag}],
                "patches": patches}

    def _cluster_name(self, what: str) -> str:
        return f"{self.namespace}-{what}"

    def _rename(self, kind: str, name: str, what: str, more: list | None = None) -> dict:
        ops = [{"op": "replace", "path": "/metadata/name", "value": self._cluster_name(what)}]
        return {"target": {"kind": kind, "name": name}, "patch": json.dumps(ops + (more or []))}

    def kubectl(self, *args: str, timeout: float = 120) -> str:
        return self.cluster.kubectl(*args, timeout=timeout).stdout

    def apply(self) -> None:
        self.kubectl("apply", "-k", str(self.kube / "test"), timeout=300)

    def settled(self) -> bool:
        """Every Deployment has all its replicas Ready and the migrations Job succeeded.
        An API server that does not answer for a moment (the cluster restarting) is
        "not yet"; the wait's bound still ends a cluster that stays away."""
        try:
            deployments = self.cluster.get("deployments", "-n", self.namespace)["items"]
            jobs = self.cluster.get("jobs", "-n", self.namespace)["items"]
        except AssertionError:
            return False
        ready = [d for d in deployments
                 if d["status"].get("readyReplicas", 0) == d["spec"]["replicas"]]
        return (len(deployments) == 8 and len(ready) == 8 and len(jobs) == 1
                and jobs[0]["status"].get("succeeded", 0) >= 1)

    def describe(self) -> str:
        """What the pods are doing, for a failure message."""
        pods = self.cluster.kubectl("get", "pods", "-n", self.namespace, "-o", "wide",
                                    check=False).stdout
        logs = [self.cluster.kubectl("logs", "-n", self.namespace, f"deploy/{part}",
                                     "--tail=20", check=False).stdout
                for part in ("web", "worker", "router")]
        return pods + "\n".join(logs)

    def wait_ready(self) -> None:
        try:
            wait_for(self.settled, READY_SECONDS, 2, f"every pod of {self.namespace} Ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.describe()}") from None

    def manage(self) -> list[str]:
        """`python manage.py` in the web pod, as argv (operators' one-off commands)."""
        return [str(self.cluster.bin_dir / "kubectl"), f"--kubeconfig={self.cluster.kubeconfig}",
                "exec", "-n", self.namespace, "deploy/web", "--", "python", "manage.py"]

    def tenant_pods(self) -> list[dict]:
        pods = self.cluster.get("pods", "--all-namespaces")["items"]
        return [p for p in pods if p["metadata"]["namespace"].startswith(f"{self.tenant_prefix}-t")]

    def app(self) -> tuple[int, str]:
        port = self.ports["router"]
        return client.http(f"http://127.0.0.1:{port}/",
                           host=f"testservice.demo.apps.localhost:{port}")

    def cleanup(self) -> None:
        """The platform's namespace first (its worker would recreate what goes before),
        then the tenants' namespaces and the install's cluster-wide objects."""
        self.cluster.kubectl("delete", "namespace", self.namespace, "--ignore-not-found",
                             "--timeout=300s", check=False, timeout=330)
        tenants = [ns["metadata"]["name"] for ns in self.cluster.get("namespaces")["items"]
                   if ns["metadata"]["name"].startswith(f"{self.tenant_prefix}-t")]
        if tenants:
            self.cluster.kubectl("delete", "namespace", *tenants, "--wait=false", check=False)
        self.cluster.kubectl("delete", "-k", str(self.kube / "test"), "--ignore-not-found",
                             "--timeout=120s", check=False, timeout=150)
        shutil.rmtree(self.data, ignore_errors=True)
        state = Path(os.environ.get("HOSTING_CLUSTER_STATE", "/var/lib/hosting-cluster"))
        shutil.rmtree(state / "certs.d" / self.registry, ignore_errors=True)


class PortForward:
    """`kubectl port-forward` to web, as an operator reaches a console from elsewhere."""

    def __init__(self, install: Install):
        self.port = free_port()
        cluster = install.cluster
        self.process = subprocess.Popen(
            [str(cluster.bin_dir / "kubectl"), f"--kubeconfig={cluster.kubeconfig}",
             "port-forward", "-n", install.namespace, "deploy/web",
             f"{self.port}:{install.ports['web']}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def install(k8s_cluster, image, tmp_path_factory):
    install = Install(k8s_cluster, tmp_path_factory.mktemp("incluster"), image)
    # The node pulls tenant images from the in-cluster registry over plain HTTP.
    k8s_cluster.trust_registry(install.registry)
    try:
        started = time.monotonic()
        install.apply()
        install.wait_ready()
        # Timings, shown with `pytest -s` (README "A cluster with kustomize" quotes them).
        print(f"incluster: apply to every pod Ready {time.monotonic() - started:.0f} s")
        run(*install.manage(), "load_demo", timeout=300)
        yield install
    finally:
        install.cleanup()


def test_the_platform_on_the_cluster_deploys_a_tenant_version_on_it(install, tmp_path):
    forward = PortForward(install)
    try:
        wait_for(lambda: client.http(f"{forward.url}/login/")[0] == 200, 120, 0.5,
                 "the console through kubectl port-forward")
        assert "demo" in client.console_login(forward.url)
    finally:
        forward.close()

    local = build_images("httpd")["httpd"]
    remote = client.push_image(local, install.registry, "demo/testservice", "v1",
                               tmp_path / "auth.json")
    try:
        api = client.Api(install.web, client.issue_token(install.manage()))
        started = time.monotonic()
        version = api.deploy("v1")
        api.wait_normal(version["id"], DEPLOY_SECONDS)
        print(f"incluster: version created to normal {time.monotonic() - started:.0f} s")
        # The version runs as a pod of the tenant's namespace on this cluster, its image
        # pinned by digest from the in-cluster registry.
        images = [p["spec"]["containers"][0]["image"] for p in install.tenant_pods()
                  if p["status"].get("phase") == "Running"]
        assert images, "no running pod in the tenant's namespace"
        assert all(image.startswith(f"{install.registry}/demo/testservice@sha256:")
                   for image in images), images
        wait_for(lambda: install.app() == (200, "hosting testimage httpd ok\n"), 120, 0.5,
                 "the app through the in-cluster router")
    finally:
        client.untag(remote)
