"""Podman's Docker-compatible API service, and the offline test images.

Fixtures:
- `podman_engine` (session): `podman system service --time=0 unix://<tmp>/podman.sock`
  (through scripts/podman_service.sh, see docs/podman-notes.md) and a docker client on it.
  Containers made in this session carry the label hosting.namespace=<its namespace>; all
  of them are removed at the end, and the service is stopped.
- `podman` (function): runs the test with DOCKER_HOST pointing at that service, the local
  runtime backend and the session's namespace; yields the docker client and removes the
  namespace's containers after the test (deterministic names repeat between tests).
- `test_images` (session): every image in docker/testimages built offline,
  {"httpd": "localhost/hosting-test/httpd:latest", ...}.
"""
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SCRIPT = ROOT / "scripts" / "podman_service.sh"
BUILD_SCRIPT = ROOT / "docker" / "testimages" / "build.sh"
IMAGE_PREFIX = "localhost/hosting-test"
NAMESPACE_LABEL = "hosting.namespace"


@dataclass
class PodmanEngine:
    socket: Path
    client: docker.DockerClient
    namespace: str

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    def settings(self) -> override_settings:
        return override_settings(DOCKER_HOST=self.docker_host, RUNTIME_BACKEND="local",
                                 RUNTIME_NAMESPACE=self.namespace)

    def containers(self) -> list:
        return self.client.containers.list(
            all=True, filters={"label": f"{NAMESPACE_LABEL}={self.namespace}"})

    def remove_containers(self) -> None:
        for container in self.containers():
            remove_container(container)
        self.remove_networks()

    def remove_networks(self) -> None:
        """The namespace's tenant networks and their firewall chains (hosting.runtimes.firewall)."""
        from hosting.runtimes import firewall

        for network in self.client.networks.list(
                filters={"label": f"{NAMESPACE_LABEL}={self.namespace}"}):
            try:
                network.remove()
            except docker.errors.APIError:
                pass
            firewall.remove(network.name)


def remove_container(container, attempts: int = 5) -> None:
    """Force-remove; Podman 4.3 sometimes answers 500 "device or resource busy" while the
    container's shm is still being unmounted, which passes within a moment. A container
    still there after that is left to the session's final sweep, never failing a test."""
    for attempt in range(attempts):
        try:
            container.remove(force=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError:
            time.sleep(0.5 * (attempt + 1))


def version_filter(version) -> dict:
    """Docker API filters for `version`'s containers made by this test session: version
    ids repeat between sessions (and other runs share the engine), namespaces do not."""
    from django.conf import settings
    return {"label": [f"{NAMESPACE_LABEL}={settings.RUNTIME_NAMESPACE}",
                      f"hosting.version={version.pk}"]}


def start_service(socket: Path) -> None:
    subprocess.run([str(SERVICE_SCRIPT), "start", str(socket)], check=True,
                   capture_output=True, text=True, timeout=60)


def stop_service(socket: Path) -> None:
    subprocess.run([str(SERVICE_SCRIPT), "stop", str(socket)], check=False,
                   capture_output=True, timeout=60)


def build_images(*names: str) -> dict[str, str]:
    """Build the offline test images (FROM scratch + static busybox); {name: ref}."""
    result = subprocess.run([str(BUILD_SCRIPT), IMAGE_PREFIX, *names], capture_output=True,
                            text=True, check=False, timeout=300)
    if result.returncode:
        raise RuntimeError(f"building test images failed:\n{result.stderr}")
    return {ref.rsplit("/", 1)[1].split(":")[0]: ref for ref in result.stdout.split()}


@pytest.fixture(scope="session")
def podman_engine(tmp_path_factory):
    socket = tmp_path_factory.mktemp("podman") / "podman.sock"
    start_service(socket)
    client = docker.DockerClient(base_url=f"unix://{socket}", timeout=60)
    engine = PodmanEngine(socket, client, f"test{os.getpid()}")
    yield engine
    engine.remove_containers()
    client.close()
    stop_service(socket)


@pytest.fixture
def podman(podman_engine):
    with podman_engine.settings():
        yield podman_engine.client
    podman_engine.remove_containers()


@pytest.fixture(scope="session")
def test_images():
    return build_images()
