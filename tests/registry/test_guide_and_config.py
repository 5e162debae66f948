"""The upload guide's commands and the registry's rendered config."""
import pytest
import yaml

from hosting.registry import server
from hosting.registry.guide import upload_guide


def test_the_guide_gives_exact_podman_and_docker_commands(svc, settings):
    settings.REGISTRY_HOST = "127.0.0.1:5000"
    settings.REGISTRY_URL = "http://127.0.0.1:5000"
    guide = upload_guide(svc, "alice")
    image = "127.0.0.1:5000/alpha/testservice:v1"
    assert guide["podman"] == [
        "podman login --tls-verify=false -u alice 127.0.0.1:5000",
        f"podman tag my-image:latest {image}",
        f"podman push --tls-verify=false {image}",
    ]
    assert guide["docker"] == [
        "docker login -u alice 127.0.0.1:5000",
        f"docker tag my-image:latest {image}",
        f"docker push {image}",
    ]
    assert guide["repository"] == "alpha/testservice"
    assert (guide["login"], guide["tag"], guide["push"]) == tuple(guide["podman"])
    assert [step["podman"] for step in guide["steps"]] == guide["podman"]


def test_the_guide_drops_tls_verify_for_an_https_registry(svc, settings):
    settings.REGISTRY_HOST = "registry.example.com"
    settings.REGISTRY_URL = "https://registry.example.com"
    guide = upload_guide(svc, "alice", tag="2.0", local_image="web:dev")
    assert guide["podman"][0] == "podman login -u alice registry.example.com"
    assert guide["podman"][2] == "podman push registry.example.com/alpha/testservice:2.0"
    assert not any("plain HTTP" in note for note in guide["notes"])


def test_the_guide_quotes_odd_user_names(svc):
    assert "-u 'a b'" in upload_guide(svc, "a b")["podman"][0]


@pytest.fixture
def config(settings, registry_key_dir, tmp_path):
    settings.REGISTRY_KEY_DIR = registry_key_dir
    settings.VAR_DIR = tmp_path
    settings.REGISTRY_HOST = "127.0.0.1:5123"
    path = server.write_config(realm="http://127.0.0.1:8000/registry/token/")
    return path, yaml.safe_load(path.read_text())


def test_the_config_trusts_our_tokens(config, registry_key_dir, settings):
    path, data = config
    assert path == settings.VAR_DIR / "registry" / "config.yml"
    assert data["http"]["addr"] == "127.0.0.1:5123"
    assert data["auth"]["token"] == {
        "realm": "http://127.0.0.1:8000/registry/token/",
        "service": "hosting-registry",
        "issuer": "hosting-platform",
        "rootcertbundle": str(registry_key_dir / "token.crt"),
    }
    assert data["storage"]["filesystem"]["rootdirectory"] == str(settings.VAR_DIR / "registry" / "data")
    assert (settings.VAR_DIR / "registry" / "data").is_dir()


def test_the_realm_follows_web_addr(monkeypatch):
    monkeypatch.delenv("REGISTRY_TOKEN_REALM", raising=False)
    monkeypatch.setenv("WEB_ADDR", "127.0.0.1:9000")
    assert server.default_realm() == "http://127.0.0.1:9000/registry/token/"
