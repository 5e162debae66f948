"""`make run` under supervisord: each part killed with SIGKILL comes back, and the
platform keeps answering and deploying.

scripts/run.sh runs here on free loopback ports with its own var dir, Redis, Podman API
socket and runtime namespace, so a `make run` on the default ports and other tests are
left alone."""
import os
import signal
import subprocess
import time
import xmlrpc.client
from pathlib import Path

import pytest
from supervisor.xmlrpc import SupervisorTransport

from tests.base import wait_for
from tests.packaging import client
from tests.servers.podman import build_images
from tests.servers.router import free_port

pytestmark = [pytest.mark.integration, pytest.mark.packaging]
ROOT = Path(__file__).resolve().parents[2]
RESPAWN_SECONDS = 10  # the issue's bound for a killed part to be running again
ANSWER_SECONDS = 90  # generous: a part may take long to start on a loaded machine
DEPLOY_DELAY_SECONDS = 5
MACHINE_ENV = {"PATH", "HOME", "LANG", "LC_ALL", "USER", "TMPDIR", "XDG_RUNTIME_DIR"}
PARTS = ["web", "worker-control", "worker-deploy", "beat", "router", "activator", "registry", "podman"]


class Platform:
    def __init__(self, var: Path):
        self.var = var
        self.namespace = f"pkg{os.getpid()}"
        self.ports = {name: free_port() for name in
                      ("web", "router", "activator", "registry", "redis")}
        self.web = f"http://127.0.0.1:{self.ports['web']}"
        self.registry = f"127.0.0.1:{self.ports['registry']}"
        self.socket = var / "podman.sock"
        # Only the machine's basics: tests.settings puts test defaults (REGISTRY_URL,
        # REDIS_URL, ...) into os.environ that would point the platform elsewhere.
        self.env = {key: value for key, value in os.environ.items() if key in MACHINE_ENV}
        self.env.update(
            HOSTING_VAR_DIR=str(var), WEB_ADDR=f"127.0.0.1:{self.ports['web']}",
            ROUTER_PORT=str(self.ports["router"]), ACTIVATOR_PORT=str(self.ports["activator"]),
            REGISTRY_HOST=self.registry, REDIS_URL=f"redis://127.0.0.1:{self.ports['redis']}/0",
            DOCKER_HOST=f"unix://{self.socket}", RUNTIME_NAMESPACE=self.namespace,
            DEPLOY_STALL_SECONDS="5", DJANGO_SETTINGS_MODULE="hosting.settings", DEBUG="1")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.var.parent / "run.log", "wb")
        self.process = subprocess.Popen([str(ROOT / "scripts" / "run.sh")], cwd=ROOT,
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def stop(self) -> None:
        """Ctrl-C, as a user would; every part must be gone afterwards."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def pid(self, part: str) -> int | None:
        """The part's pid while supervisord reports it started (STARTING or RUNNING),
        asked over its XML-RPC socket (what supervisorctl uses, without a process each)."""
        transport = SupervisorTransport(None, None, f"unix://{self.var / 'supervisor.sock'}")
        proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        try:
            info = proxy.supervisor.getProcessInfo(part)
        except (OSError, xmlrpc.client.Fault):
            return None
        finally:
            transport.close()
        return info["pid"] if info["statename"] in ("RUNNING", "STARTING") else None

    def app_answers(self) -> bool:
        status, body = client.http(f"http://127.0.0.1:{self.ports['router']}/",
                                   host=f"testservice.demo.apps.localhost:{self.ports['router']}")
        return status == 200 and "httpd ok" in body

    def answers(self, part: str) -> bool:
        """The part's own address answers (worker and beat: they run)."""
        checks = {
            "web": lambda: client.http(f"{self.web}/login/")[0] == 200,
            "router": lambda: client.http(
                f"http://127.0.0.1:{self.ports['router']}/")[0] != 0,
            "activator": lambda: client.http(
                f"http://127.0.0.1:{self.ports['activator']}/")[0] != 0,
            "registry": lambda: client.http(f"http://{self.registry}/v2/")[0] == 401,
            "podman": lambda: subprocess.run(
                ["curl", "-fsS", "--unix-socket", str(self.socket), "http://d/_ping"],
                capture_output=True, timeout=10).returncode == 0,
        }
        return checks.get(part, lambda: self.pid(part) is not None)()


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    var = tmp_path_factory.mktemp("supervised") / "var"
    platform = Platform(var)
    platform.start()
    try:
        wait_for(lambda: client.http(f"{platform.web}/login/")[0] == 200, ANSWER_SECONDS,
                 0.5, "the console")
        for part in PARTS:
            wait_for(lambda part=part: platform.answers(part), ANSWER_SECONDS, 0.5, part)
        yield platform
    finally:
        if platform.process.poll() is None:
            platform.stop()
        client.remove_containers(f"hosting.namespace={platform.namespace}")


@pytest.fixture(scope="module")
def deployed(platform, tmp_path_factory):
    """The demo service serving an httpd version with all the traffic; yields the API."""
    local = build_images("httpd")["httpd"]
    authfile = tmp_path_factory.mktemp("auth") / "auth.json"
    remote = client.push_image(local, platform.registry, "demo/testservice", "v1", authfile)
    api = client.Api(platform.web, client.issue_token(
        [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "manage.py")], platform.env))
    version = api.deploy("v1")
    api.wait_normal(version["id"])
    wait_for(platform.app_answers, ANSWER_SECONDS, 0.5, "the app through the router")
    yield api
    client.untag(remote)


@pytest.mark.parametrize("part", PARTS)
def test_a_killed_part_comes_back_and_the_platform_keeps_deploying(platform, deployed, part):
    # The kill lands while the deploy waits out its InitialDelaySeconds: it has started
    # its instance and has health checks still to run. (A kill of the engine in the
    # middle of its own create/start call is another matter: see the README.)
    version = deployed.deploy("v1", policy="keep_zero", initial_delay=DEPLOY_DELAY_SECONDS)
    deployed.wait_event(version["id"], "deploy:start")
    pid = platform.pid(part)
    assert pid, f"{part} is not running before the kill"
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)

    wait_for(lambda: platform.pid(part) not in (None, pid), RESPAWN_SECONDS, 0.1,
             f"{part} restarted by supervisord")
    print(f"{part}: restarted after {time.monotonic() - killed:.1f} s")
    wait_for(lambda: platform.answers(part), ANSWER_SECONDS, 0.5, f"{part} answering")
    print(f"{part}: answering after {time.monotonic() - killed:.1f} s")
    wait_for(lambda: client.http(f"{platform.web}/login/")[0] == 200, ANSWER_SECONDS, 0.5,
             "the console")
    wait_for(platform.app_answers, ANSWER_SECONDS, 0.5, "the app through the router")
    deployed.wait_normal(version["id"], seconds=180)
    # Free the slot and the instance: the service holds at most 10 versions.
    deployed.call("DELETE", f"versions/{version['id']}/")


def test_ctrl_c_stops_every_part(platform, deployed):
    pids = {part: platform.pid(part) for part in PARTS}
    platform.stop()
    assert platform.process.returncode == 0
    for part, pid in pids.items():
        wait_for(lambda pid=pid: not _alive(pid), 30, 0.2, f"{part} stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
