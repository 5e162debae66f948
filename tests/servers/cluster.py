"""The machine's single-node Kubernetes cluster (scripts/cluster/).

Fixtures:
- `k8s_cluster` (session): builds the binaries when missing (Kubernetes, the NetworkPolicy
  enforcer, containerd and runc: about 22 CPU-minutes on a fresh machine, then cached),
  starts the cluster unless it already runs (scripts/cluster/up.sh, idempotent and locked),
  waits for the node to be Ready and yields a `Cluster`. The cluster is left running:
  there is one per machine, shared by every session and worktree, and the next session
  finds it up in about a second (`make cluster-down` stops it). A missing toolchain fails
  the tests loudly instead of skipping them: CI must build and run the cluster.
- `k8s_namespace` (function): a fresh namespace (`t-<random>`) whose default service
  account exists, deleted after the test without waiting for its pods to go.

Tests that use them carry the marker `cluster`.
"""
import json
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.base import wait_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "cluster"
# A cold build compiles Kubernetes; a busy CI machine may need more than the usual 5 min.
UP_TIMEOUT_SECONDS = 1800


@dataclass
class Cluster:
    kubeconfig: Path
    bin_dir: Path
    containerd_address: Path

    def kubectl(self, *args: str, check: bool = True, stdin: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
        """Run kubectl as the cluster admin; with check, a failure raises with its stderr."""
        result = subprocess.run([str(self.bin_dir / "kubectl"), f"--kubeconfig={self.kubeconfig}",
                                 *args], input=stdin, capture_output=True, text=True,
                                timeout=timeout, check=False)
        if check and result.returncode:
            raise AssertionError(f"kubectl {' '.join(args)} failed:\n{result.stderr}")
        return result

    def get(self, *args: str) -> dict:
        """`kubectl get ... -o json`, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def apply(self, manifest: dict, namespace: str) -> None:
        self.kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(manifest))

    def ctr(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """containerd's CLI in the namespace the kubelet uses: the ctr built with the
        cluster's containerd (scripts/cluster/build.sh), not a system one."""
        return subprocess.run([str(self.bin_dir / "ctr"), "--address", str(self.containerd_address),
                               "-n", "k8s.io", *args], capture_output=True, text=True,
                              timeout=timeout, check=False)

    def import_image(self, podman_ref: str) -> str:
        """Copy an image from podman's store into the node, where pods started with
        `imagePullPolicy: Never` find it under the same reference (returned)."""
        with tempfile.TemporaryDirectory(prefix="hosting-cluster-") as tmp:
            archive = Path(tmp) / "image.tar"
            saved = subprocess.run(["podman", "save", "--format", "oci-archive", "-o",
                                    str(archive), podman_ref], capture_output=True, text=True,
                                   timeout=300, check=False)
            if saved.returncode:
                raise AssertionError(f"podman save {podman_ref} failed:\n{saved.stderr}")
            imported = self.ctr("images", "import", str(archive))
        if imported.returncode:
            raise AssertionError(f"importing {podman_ref} into containerd failed:\n"
                                 f"{imported.stderr}")
        return podman_ref

    def trust_registry(self, host: str) -> None:
        """Let the node pull from the plain-HTTP registry at host:port."""
        subprocess.run([str(SCRIPTS / "trust_registry.sh"), host], check=True, timeout=30)


def _environment() -> dict[str, str]:
    """The paths env.sh prints (`export KEY=VALUE` lines)."""
    out = subprocess.run([str(SCRIPTS / "env.sh")], capture_output=True, text=True, check=True,
                         timeout=30).stdout
    pairs = (line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    return {key: value for key, value in pairs}


@pytest.fixture(scope="session")
def k8s_cluster() -> Cluster:
    try:
        up = subprocess.run([str(SCRIPTS / "up.sh")], capture_output=True, text=True,
                            timeout=UP_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"scripts/cluster/up.sh did not finish within {exc.timeout} s",
                    pytrace=False)
    if up.returncode:
        pytest.fail(f"scripts/cluster/up.sh failed (exit {up.returncode}):\n"
                    f"{up.stdout}{up.stderr}", pytrace=False)
    env = _environment()
    return Cluster(kubeconfig=Path(env["KUBECONFIG"]), bin_dir=Path(env["HOSTING_CLUSTER_BIN"]),
                   containerd_address=Path(env["CONTAINERD_ADDRESS"]))


@pytest.fixture
def k8s_namespace(k8s_cluster):
    name = f"t-{uuid.uuid4().hex[:10]}"
    k8s_cluster.kubectl("create", "namespace", name)
    # Pods are refused until the controller-manager has made the default service account.
    wait_for(lambda: k8s_cluster.kubectl("get", "serviceaccount", "default", "-n", name,
                                         check=False).returncode == 0,
             seconds=60, every=0.2, what=f"service account default in {name}")
    yield name
    k8s_cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
