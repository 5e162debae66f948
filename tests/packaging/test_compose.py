"""The compose stack as an operator installs it: the image is built (docker/build.sh),
docker/setup.sh writes the env file, podman-compose starts postgres, redis, registry,
web, worker, beat, activator and router on free loopback ports with their own engine
socket; a user logs in, pushes, deploys and reaches the app through the router; after
`down` and `up` the version is still there and serving.

Run it alone: `pytest -m compose` (slow: the first image build takes minutes)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.base import wait_for
from tests.packaging import client
from tests.servers.podman import build_images, start_service, stop_service
from tests.servers.router import free_port

pytestmark = [pytest.mark.integration, pytest.mark.packaging, pytest.mark.compose]
ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/packaging-test-hosting:latest"
STARTUP_SECONDS = 300  # generous: migrations on a fresh PostgreSQL on a loaded machine


def run(*argv: str, env: dict | None = None, timeout: float = 600) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def image():
    env = {**os.environ, "IMAGE": IMAGE}
    return run(str(ROOT / "docker" / "build.sh"), env=env, timeout=1800).split()[-1]


class Stack:
    def __init__(self, work: Path, image: str):
        self.project = f"packaging-test-{os.getpid()}"
        self.work = work
        self.socket = work / "engine.sock"
        self.namespace = f"pkc{os.getpid()}"
        ports = {name: free_port() for name in
                 ("web", "router", "activator", "registry", "postgres", "redis")}
        self.web = f"http://127.0.0.1:{ports['web']}"
        self.router_port = ports["router"]
        self.registry = f"127.0.0.1:{ports['registry']}"
        self.env_file = work / "stack.env"
        setup_env = {**os.environ, "WEB_ADDR": f"127.0.0.1:{ports['web']}",
                     "ROUTER_PORT": str(ports["router"]),
                     "ACTIVATOR_PORT": str(ports["activator"]),
                     "REGISTRY_PORT": str(ports["registry"]),
                     "POSTGRES_PORT": str(ports["postgres"]), "REDIS_PORT": str(ports["redis"]),
                     "HOSTING_IMAGE": image, "HOSTING_ENGINE_SOCKET": str(self.socket),
                     "HOSTING_DEMO": "1", "RUNTIME_NAMESPACE": self.namespace}
        run(str(ROOT / "docker" / "setup.sh"), str(self.env_file), env=setup_env)
        # The compose files are copied so a docker/.env of a real install on this
        # machine (podman-compose lets it win over the environment) is never read.
        self.dir = work / "compose"
        self.dir.mkdir()
        for name in ("compose.yaml", "compose.sh", "podman-hostnet.sh"):
            shutil.copy2(ROOT / "docker" / name, self.dir / name)
        values = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines()
                      if "=" in line and not line.startswith("#"))
        self.compose_env = {**os.environ, "HOSTING_ENV_FILE": str(self.env_file),
                            **{key: values[key] for key in
                               ("HOSTING_IMAGE", "HOSTING_ENGINE_SOCKET", "HOSTING_ENGINE_GID")}}

    def compose(self, *args: str) -> str:
        return run(str(self.dir / "compose.sh"), "-p", self.project, *args,
                   env=self.compose_env)

    def up(self) -> None:
        self.compose("up", "-d")
        wait_for(lambda: client.http(f"{self.web}/login/")[0] == 200, STARTUP_SECONDS, 1,
                 "the console of the compose stack")

    def app(self) -> tuple[int, str]:
        return client.http(f"http://127.0.0.1:{self.router_port}/",
                           host=f"testservice.demo.apps.localhost:{self.router_port}")

    def cleanup(self) -> None:
        subprocess.run([str(self.dir / "compose.sh"), "-p", self.project, "down"],
                       env=self.compose_env, capture_output=True, timeout=300)
        volumes = subprocess.run(
            ["podman", "volume", "ls", "-q", "--filter", f"label=io.podman.compose.project={self.project}"],
            capture_output=True, text=True, timeout=60).stdout.split()
        for volume in volumes:
            subprocess.run(["podman", "volume", "rm", "-f", volume], capture_output=True,
                           timeout=60)
        subprocess.run(["podman", "network", "rm", "-f", f"{self.project}_default"],
                       capture_output=True, timeout=60)
        client.remove_containers(f"hosting.namespace={self.namespace}")


@pytest.fixture(scope="module")
def stack(image, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("compose"), image)
    start_service(stack.socket)
    # Like systemd's podman.socket (0660): the platform's uid 10001 gets in as group 0.
    stack.socket.chmod(0o660)
    try:
        stack.up()
        yield stack
    finally:
        stack.cleanup()
        stop_service(stack.socket)


def test_the_image_runs_as_a_user_and_carries_no_compiler(image):
    out = run("podman", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c",
              "id -u; command -v gcc cc || echo no-compiler", timeout=120).split()
    assert out[0] == "10001"
    assert out[1:] == ["no-compiler"]


def test_a_version_deployed_on_the_stack_serves_and_survives_a_restart(stack, tmp_path):
    assert "demo" in client.console_login(stack.web)
    local = build_images("httpd")["httpd"]
    remote = client.push_image(local, stack.registry, "demo/testservice", "v1",
                               tmp_path / "auth.json")
    try:
        api = client.Api(stack.web, client.issue_token(
            ["podman", "exec", f"{stack.project}_web_1", "python", "manage.py"]))
        version = api.deploy("v1")
        api.wait_normal(version["id"])
        wait_for(lambda: stack.app() == (200, "hosting testimage httpd ok\n"), 60, 0.5,
                 "the app through the stack's router")

        stack.compose("down")
        stack.up()
        assert api.status(version["id"]) == "normal"
        wait_for(lambda: stack.app()[0] == 200, 120, 0.5, "the app after the restart")
        assert "httpd ok" in stack.app()[1]
    finally:
        client.untag(remote)
