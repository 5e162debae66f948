"""Issue 3's registry checks, against the real registry with podman.

The registry runs with token auth whose realm is the test web app (live_server); every
refusal below is the registry's own answer to the token our endpoint issued.
"""
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import docker
import pytest
import requests

from hosting.registry import client, tokens
from hosting.registry.client import RegistryDenied, TagNotFound

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
MANIFEST_ACCEPT = {"Accept": client.MANIFEST_TYPES}


def new_tag() -> str:
    """The registry lives for the whole session: every test pushes its own tags."""
    return "t" + uuid.uuid4().hex[:10]


def token_from_endpoint(registry_server, username: str, password: str, *scopes: str) -> str:
    response = requests.get(registry_server.realm, auth=(username, password), timeout=10,
                            params={"service": "hosting-registry", "scope": list(scopes)})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def get_manifest(registry_server, repository: str, tag: str, token: str) -> requests.Response:
    headers = {**MANIFEST_ACCEPT, "Authorization": f"Bearer {token}"}
    return requests.get(f"{registry_server.url}/v2/{repository}/manifests/{tag}",
                        headers=headers, timeout=10)


def denied(result: subprocess.CompletedProcess) -> bool:
    return result.returncode != 0 and "denied" in result.stderr


def test_alice_pushes_and_pulls_her_tenant(world, push_test_image, registry_cli):
    tag = new_tag()
    push_test_image("alpha/testservice", tag)
    pulled = registry_cli.pull("alpha/testservice", tag)
    assert pulled.returncode == 0, pulled.stderr


def test_alice_can_neither_push_nor_pull_bravo(world, push_test_image, registry_cli,
                                               registry_images):
    tag = new_tag()
    push_test_image("bravo/othersvc", tag, username="bob", password="bob-password")
    registry_cli.logout()
    assert registry_cli.login("alice", "alice-password").returncode == 0
    assert denied(registry_cli.pull("bravo/othersvc", tag))
    assert denied(registry_cli.push(registry_images["httpd"], "bravo/othersvc", new_tag()))
    assert tag in client.list_tags("bravo/othersvc")  # bob's image is untouched


def test_a_token_for_alpha_is_refused_for_bravos_scope(world, push_test_image,
                                                       registry_server):
    tag = new_tag()
    push_test_image("bravo/othersvc", tag, username="bob", password="bob-password")
    alpha_token = token_from_endpoint(registry_server, "alice", "alice-password",
                                      "repository:alpha/testservice:pull,push")
    response = get_manifest(registry_server, "bravo/othersvc", tag, alpha_token)
    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    # Alice asking for bravo's scope outright gets a token without it.
    asked = token_from_endpoint(registry_server, "alice", "alice-password",
                                "repository:bravo/othersvc:pull")
    assert get_manifest(registry_server, "bravo/othersvc", tag, asked).status_code == 401
    bobs = token_from_endpoint(registry_server, "bob", "bob-password",
                               "repository:bravo/othersvc:pull")
    assert get_manifest(registry_server, "bravo/othersvc", tag, bobs).status_code == 200


def test_expired_tokens_are_refused(world, push_test_image, registry_server):
    tag = new_tag()
    push_test_image("alpha/testservice", tag)
    access = [{"type": "repository", "name": "alpha/testservice", "actions": ["pull"]}]
    fresh = tokens.mint("alice", access)
    expired = tokens.mint("alice", access, issued_at=time.time() - 3600, lifetime=60)
    assert get_manifest(registry_server, "alpha/testservice", tag, fresh).status_code == 200
    response = get_manifest(registry_server, "alpha/testservice", tag, expired)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_anonymous_gets_nothing(world, push_test_image, registry_cli, registry_server,
                                registry_images):
    tag = new_tag()
    push_test_image("alpha/testservice", tag)
    registry_cli.logout()
    assert denied(registry_cli.pull("alpha/testservice", tag))
    assert denied(registry_cli.push(registry_images["httpd"], "alpha/testservice", new_tag()))
    anonymous = requests.get(registry_server.realm, timeout=10, params={
        "service": "hosting-registry", "scope": "repository:alpha/testservice:pull"})
    token = anonymous.json()["token"]
    assert get_manifest(registry_server, "alpha/testservice", tag, token).status_code == 401


def test_a_wrong_password_fails_the_login(world, registry_cli):
    result = registry_cli.login("alice", "wrong")
    assert result.returncode != 0
    assert "invalid username/password" in result.stderr


def test_the_viewer_pulls_but_cannot_push(world, push_test_image, registry_cli,
                                          registry_images):
    tag = new_tag()
    push_test_image("alpha/testservice", tag)
    registry_cli.logout()
    assert registry_cli.login("charlie", "charlie-password").returncode == 0
    pulled = registry_cli.pull("alpha/testservice", tag)
    assert pulled.returncode == 0, pulled.stderr
    assert denied(registry_cli.push(registry_images["httpd"], "alpha/testservice", new_tag()))


def test_an_api_token_works_as_the_password(world, push_test_image):
    tag = new_tag()
    push_test_image("alpha/testservice", tag, password=world["alice_key"])
    assert tag in client.list_tags("alpha/testservice")


def test_tags_and_digests(world, push_test_image, registry_cli):
    assert client.list_tags("alpha/never-pushed") == []
    first, second = sorted([new_tag(), new_tag()])
    push_test_image("alpha/tagged", first)
    push_test_image("alpha/tagged", second)
    tags = client.list_tags("alpha/tagged")
    assert {first, second} <= set(tags) and tags == sorted(tags)
    digest = client.resolve_digest("alpha/tagged", first)
    assert digest.startswith("sha256:") and len(digest) == 71
    with pytest.raises(TagNotFound) as error:
        client.resolve_digest("alpha/tagged", "nope")
    assert str(error.value) == ("The tag nope does not exist in alpha/tagged; push it first "
                                "(see the upload guide).")
    with pytest.raises(TagNotFound):
        client.resolve_digest("alpha/never-pushed", "v1")


def test_a_repushed_tag_moves_but_the_old_digest_stays_pullable(world, push_test_image,
                                                                 registry_cli):
    tag = new_tag()
    push_test_image("alpha/moving", tag, image="httpd")
    old = client.resolve_digest("alpha/moving", tag)
    push_test_image("alpha/moving", tag, image="exits")
    new = client.resolve_digest("alpha/moving", tag)
    assert new != old
    pulled = registry_cli.pull("alpha/moving", old)
    assert pulled.returncode == 0, pulled.stderr


def test_the_client_reports_a_registry_that_is_down(world, settings):
    settings.REGISTRY_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.REGISTRY_HOST = "127.0.0.1:9"
    with pytest.raises(client.RegistryUnavailable) as error:
        client.list_tags("alpha/testservice")
    assert "127.0.0.1:9 is not reachable" in str(error.value)


def test_the_client_reports_a_refusal(world, settings, registry_key_dir, registry_server):
    settings.REGISTRY_KEY_DIR = registry_key_dir  # a key the registry does not trust
    with pytest.raises(RegistryDenied) as error:
        client.list_tags("alpha/testservice")
    assert "refused access to alpha/testservice" in str(error.value)


@pytest.fixture(scope="module")
def engine():
    """A Podman API socket of our own (the runtime's fixtures may not be loaded)."""
    service = ROOT / "scripts" / "podman_service.sh"
    workdir = Path(tempfile.mkdtemp(prefix="reg-engine-"))
    sock = workdir / "podman.sock"
    started = subprocess.run([str(service), "start", str(sock)], capture_output=True,
                             text=True, check=False)
    if started.returncode:
        pytest.skip(f"no Podman API socket: {started.stderr.strip()}")
    engine = docker.DockerClient(base_url=f"unix://{sock}", timeout=60)
    yield engine
    engine.close()
    subprocess.run([str(service), "stop", str(sock)], capture_output=True, check=False)
    shutil.rmtree(workdir, ignore_errors=True)


def _pull_errors(engine, ref: str, auth: dict) -> list[str]:
    """Podman puts pull failures in the stream (images.pull hides them)."""
    stream = engine.api.pull(ref, auth_config=auth, stream=True, decode=True)
    return [item["error"] for item in stream if "error" in item]


def test_pull_auth_lets_the_engine_pull_that_repository_only(world, push_test_image,
                                                             engine, registry_server):
    tag = new_tag()
    push_test_image("alpha/testservice", tag)
    push_test_image("bravo/othersvc", tag, username="bob", password="bob-password")
    digest = client.resolve_digest("alpha/testservice", tag)
    ref = f"{registry_server.host}/alpha/testservice@{digest}"
    try:
        assert _pull_errors(engine, ref, client.pull_auth("alpha/testservice")) == []
        assert engine.images.get(ref)
        foreign = f"{registry_server.host}/bravo/othersvc:{tag}"
        errors = _pull_errors(engine, foreign, client.pull_auth("alpha/testservice"))
        assert errors and "denied" in errors[0]
    finally:
        subprocess.run(["podman", "rmi", "--ignore", ref], capture_output=True, check=False)


def test_registry_sh_serves_with_token_auth(tmp_path):
    """What `make run` starts: the script renders the config and execs the registry."""
    from tests.servers.registry import _stop, _wait_ready, free_port

    host = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "HOSTING_VAR_DIR": str(tmp_path), "REGISTRY_HOST": host,
           "WEB_ADDR": "127.0.0.1:8123", "DEBUG": "1"}
    with open(tmp_path / "registry.log", "w") as log:
        process = subprocess.Popen([str(ROOT / "scripts" / "registry.sh")], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        assert _wait_ready(host, process), (tmp_path / "registry.log").read_text()
        challenge = requests.get(f"http://{host}/v2/", timeout=10).headers["WWW-Authenticate"]
        assert challenge == ('Bearer realm="http://127.0.0.1:8123/registry/token/",'
                             'service="hosting-registry"')
        assert (tmp_path / "registry-keys" / "token.crt").exists()
    finally:
        _stop(process)
