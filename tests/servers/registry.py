"""The real registry (Debian's docker-registry) with token auth issued by the test web app.

Fixtures:
- `registry_server` (session): `docker-registry serve` on a free loopback port whose
  token realm is pytest-django's `live_server` + /registry/token/. Every test that uses
  it runs with REGISTRY_HOST / REGISTRY_URL / REGISTRY_KEY_DIR pointing at it (and gets
  transactional_db, through live_server). Session-scoped code can wrap itself in
  `registry_server.settings()`.
- `registry_images` (session): the offline test images built by podman
  (docker/testimages/build.sh): {"httpd": "localhost/hosting-test/httpd:latest", ...}.
- `registry_cli` (function): the podman CLI logged in with its own auth file
  (`login`, `push`, `pull`, `publish`); tags it made are removed afterwards.
- `push_test_image` (function): push_test_image("alpha/web", "v1") builds (once) and
  pushes a test image as alice and returns "<registry>/alpha/web:v1".
"""
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import override_settings

from hosting.registry import server

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "docker" / "testimages" / "build.sh"
IMAGE_PREFIX = "localhost/hosting-test"
START_DEADLINE_SECONDS = 30


@dataclass
class RegistryServer:
    host: str  # 127.0.0.1:<port>, what image references start with
    realm: str
    workdir: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def settings(self) -> override_settings:
        """The settings that make the platform's code use this registry."""
        return override_settings(REGISTRY_HOST=self.host, REGISTRY_URL=self.url,
                                 REGISTRY_KEY_DIR=self.workdir / "keys")

    def log(self) -> str:
        return (self.workdir / "registry.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(workdir: Path, realm: str) -> RegistryServer:
    """Start on a free port; retry if another process took the port meanwhile."""
    for _attempt in range(3):
        host = f"127.0.0.1:{free_port()}"
        config = server.write_config(workdir / "config.yml", addr=host,
                                     storage_dir=workdir / "data", realm=realm)
        with open(workdir / "registry.log", "w") as log:  # the child keeps its own fd
            process = subprocess.Popen(["docker-registry", "serve", str(config)],
                                       stdout=log, stderr=subprocess.STDOUT)
        if _wait_ready(host, process):
            return RegistryServer(host, realm, workdir, process)
        _stop(process)
    raise RuntimeError(f"the registry did not start:\n{(workdir / 'registry.log').read_text()}")


def _wait_ready(host: str, process: subprocess.Popen) -> bool:
    """Up when /v2/ answers 401 (token auth is on)."""
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except OSError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def registry_server(live_server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("registry")
    realm = f"{live_server.url}{server.REALM_PATH}"
    with override_settings(REGISTRY_KEY_DIR=workdir / "keys"):  # the cert the registry trusts
        registry = _start(workdir, realm)
    yield registry
    _stop(registry.process)


@pytest.fixture(autouse=True)
def _registry_settings(request):
    """Point the platform at the test registry for the tests that use it."""
    if "registry_server" not in request.fixturenames:
        yield
        return
    with request.getfixturevalue("registry_server").settings():
        yield


def build_test_images(*names: str) -> dict[str, str]:
    """Build the offline test images with podman; {name: local reference}."""
    result = subprocess.run([str(BUILD_SCRIPT), IMAGE_PREFIX, *names], capture_output=True,
                            text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"building test images failed:\n{result.stderr}")
    refs = result.stdout.split()
    return {ref.rsplit("/", 1)[1].split(":")[0]: ref for ref in refs}


@pytest.fixture(scope="session")
def registry_images():
    return build_test_images("httpd", "exits")


@dataclass
class PodmanCli:
    """The podman CLI against the test registry, with its own login state."""

    registry: RegistryServer
    auth_file: Path
    made: list[str] = field(default_factory=list)

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "REGISTRY_AUTH_FILE": str(self.auth_file)}
        return subprocess.run(["podman", *args], input=stdin, capture_output=True, text=True,
                              env=env, check=False, timeout=120)

    def login(self, username: str, password: str) -> subprocess.CompletedProcess:
        return self.run("login", "--tls-verify=false", "-u", username, "--password-stdin",
                        self.registry.host, stdin=password)

    def logout(self) -> subprocess.CompletedProcess:
        return self.run("logout", "--all")

    def ref(self, repository: str, tag_or_digest: str) -> str:
        sep = "@" if tag_or_digest.startswith("sha256:") else ":"
        return f"{self.registry.host}/{repository}{sep}{tag_or_digest}"

    def push(self, local_image: str, repository: str, tag: str) -> subprocess.CompletedProcess:
        ref = self.ref(repository, tag)
        tagged = self.run("tag", local_image, ref)
        if tagged.returncode:
            return tagged
        self.made.append(ref)
        return self.run("push", "--tls-verify=false", ref)

    def pull(self, repository: str, tag_or_digest: str) -> subprocess.CompletedProcess:
        """Pull into a private image store, so the pull always asks the registry and never
        touches the shared store: removing an image by digest there would remove every
        tag of it, the shared test image among them."""
        ref = self.ref(repository, tag_or_digest)
        # podman refuses a runroot path longer than 50 characters: keep it under /tmp.
        with tempfile.TemporaryDirectory(prefix="hp-") as store:
            return self.run("--root", f"{store}/root", "--runroot", f"{store}/run",
                            "--storage-driver", "vfs", "pull", "--tls-verify=false", ref)

    def publish(self, local_image: str, repository: str, tag: str, username: str,
                password: str) -> str:
        """Log in and push; the pushed reference, or an AssertionError with podman's words."""
        for result in (self.login(username, password), self.push(local_image, repository, tag)):
            assert result.returncode == 0, result.stderr
        return self.ref(repository, tag)

    def cleanup(self) -> None:
        for ref in self.made:
            self.run("rmi", "--ignore", ref)


@pytest.fixture
def registry_cli(registry_server, tmp_path):
    cli = PodmanCli(registry_server, tmp_path / "auth.json")
    yield cli
    cli.cleanup()


@pytest.fixture
def push_test_image(registry_cli, registry_images):
    """push_test_image(repository, tag, image="httpd", username="alice",
    password="alice-password") -> the pushed reference."""
    def push(repository: str, tag: str, image: str = "httpd", username: str = "alice",
             password: str = "alice-password") -> str:
        if image not in registry_images:
            registry_images.update(build_test_images(image))
        return registry_cli.publish(registry_images[image], repository, tag, username, password)
    return push

