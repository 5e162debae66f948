"""What a user does with a running platform, over its public surfaces only (console,
REST API, registry, router): shared by the supervised and the compose tests."""
import json
import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from tests.base import wait_for

DEMO_USER, DEMO_PASSWORD = "demo", "demo-password"
RESTART_SECONDS = 90  # generous: how long a restarting web may keep a client waiting


def http(url: str, *, host: str | None = None, timeout: float = 5.0) -> tuple[int, str]:
    """(status, body) of a GET; (0, reason) when nothing answers."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)


def console_login(web: str, user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
    """Log in through the console's form like a browser; returns the page after login."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{web}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": user, "password": password,
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{web}/login/", data=body,
                                     headers={"Referer": f"{web}/login/"})
    with opener.open(request, timeout=10) as response:
        assert "/login/" not in response.url, f"login failed, still at {response.url}"
        return response.read().decode()


@dataclass
class Api:
    web: str
    token: str

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API call; while the web restarts (nothing listening for a moment after its
        old workers exit) the call is tried again, like a patient client would."""
        result: list[dict] = []

        def answered() -> bool:
            try:
                result.append(self._call(method, path, body))
            except urllib.error.HTTPError:
                raise
            except (OSError, urllib.error.URLError):
                return False
            return True
        wait_for(answered, RESTART_SECONDS, 0.5, f"{method} {path} answered")
        return result[0]

    def _call(self, method: str, path: str, body: dict | None) -> dict:
        request = urllib.request.Request(
            f"{self.web}/api/v1/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:
            text = response.read().decode()
            return json.loads(text) if text else {}

    def service_id(self, name: str = "testservice") -> int:
        return self.call("GET", f"services/?name={name}")["results"][0]["id"]

    def deploy(self, tag: str, policy: str = "open_full", service: str = "testservice",
               initial_delay: int = 0) -> dict:
        return self.call("POST", "versions/", {
            "service": self.service_id(service), "image_tag": tag, "port": 8080,
            "traffic_policy": policy, "initial_delay_seconds": initial_delay,
            "description": f"packaging {tag}", "min_replicas": 1, "max_replicas": 1})

    def status(self, version_id: int) -> str:
        return self.call("GET", f"versions/{version_id}/")["status"]

    def wait_event(self, version_id: int, kind: str, seconds: float = 120.0) -> None:
        def recorded():
            events = self.call("GET", f"versions/{version_id}/events/")["results"]
            return any(event["kind"] == kind for event in events)
        wait_for(recorded, seconds, 0.2, f"event {kind} of version {version_id}")

    def wait_normal(self, version_id: int, seconds: float = 120.0) -> None:
        def settled():
            status = self.status(version_id)
            assert status != "deploy_failed", f"version {version_id} failed to deploy"
            return status == "normal"
        wait_for(settled, seconds, 0.5, f"version {version_id} normal")


def push_image(local_ref: str, registry: str, repository: str, tag: str, authfile: Path,
               user: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
    """docker-style login, tag and push of a local image; returns the pushed reference.
    The credentials go to `authfile`, never to the user's shared auth.json."""
    remote = f"{registry}/{repository}:{tag}"
    for argv in (["podman", "login", "--tls-verify=false", "--authfile", str(authfile),
                  "-u", user, "-p", password, registry],
                 ["podman", "tag", local_ref, remote],
                 ["podman", "push", "-q", "--tls-verify=false", "--authfile", str(authfile),
                  remote]):
        subprocess.run(argv, check=True, capture_output=True, timeout=180)
    return remote


def untag(ref: str) -> None:
    """Remove this one name. `podman untag IMAGE` alone removes every name of the image:
    here that includes the shared test image's own tag, which later tests push."""
    subprocess.run(["podman", "untag", ref, ref], check=False, capture_output=True, timeout=60)


def remove_containers(label: str) -> None:
    """Remove the containers carrying this label (only ever the test's own namespace)."""
    ids = subprocess.run(["podman", "ps", "-aq", "--filter", f"label={label}"],
                         capture_output=True, text=True, timeout=60).stdout.split()
    if ids:
        subprocess.run(["podman", "rm", "-f", "-t", "1", *ids], capture_output=True,
                       timeout=120)


ISSUE_TOKEN = """
from django.contrib.auth import get_user_model
from hosting.models import ApiToken
print(ApiToken.issue(get_user_model().objects.get(username='demo'), 'packaging-test')[1])
"""


def issue_token(manage: list[str], env: dict | None = None) -> str:
    """An API token for the demo user, from `<manage> shell` (manage.py, or the image's
    `manage` role through `podman exec`)."""
    result = subprocess.run([*manage, "shell", "-v", "0", "-c", ISSUE_TOKEN], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"issuing a token failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]
