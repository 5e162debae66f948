"""Secret variables: sealed at rest, write-only in the API, masked in the console."""
import pytest
from django.test import override_settings

from hosting import rules, sealed
from hosting.models import Version
from hosting.runtimes import specs
from tests.base import make_version

URL = "/api/v1/versions/"


def create(client, svc, **fields):
    return client.post(URL, {"service": svc.pk, "image_tag": "v1", **fields}, format="json")


def test_a_secret_is_sealed_at_rest_and_never_shown_back(alice, svc):
    response = create(alice, svc, env={"MODE": "prod"}, secret_env={"DB_PASSWORD": "hunter2"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["env"] == {"MODE": "prod"} and body["secret_env"] == {"DB_PASSWORD": "set"}
    assert "hunter2" not in response.content.decode()
    version = Version.objects.get(pk=body["id"])
    (name, token), = version.secret_env
    assert name == "DB_PASSWORD" and "hunter2" not in token and sealed.unseal(token) == "hunter2"
    assert "hunter2" not in alice.get(f"{URL}{version.pk}/").content.decode()
    assert specs.instance_spec(version, 0).env == {"MODE": "prod", "DB_PASSWORD": "hunter2"}


def test_a_new_version_keeps_the_latest_versions_secrets_unless_given(alice, svc):
    create(alice, svc, secret_env={"TOKEN": "one"})
    kept = Version.objects.get(pk=create(alice, svc).json()["id"])
    assert sealed.unseal(kept.secret_env[0][1]) == "one"
    replaced = Version.objects.get(pk=create(alice, svc, secret_env={"TOKEN": "two"}).json()["id"])
    assert sealed.unseal(replaced.secret_env[0][1]) == "two"


@pytest.mark.parametrize("fields, fragment", [
    ({"secret_env": {"1BAD": "x"}}, "not a valid name"),
    ({"secret_env": {"A": "x" * (rules.ENV_VALUE_MAX_CHARS + 1)}}, f"at most {rules.ENV_VALUE_MAX_CHARS}"),
    ({"env": {"A": "1"}, "secret_env": {"A": "2"}}, "either secret or not"),
])
def test_bad_secrets_are_400_naming_the_field(alice, svc, fields, fragment):
    response = create(alice, svc, **fields)
    assert response.status_code == 400
    assert fragment in " ".join(response.json()["secret_env"])
    assert not Version.objects.exists()


def test_the_console_masks_secrets_even_for_their_owner(client, world, svc):
    version = make_version(svc)
    Version.objects.filter(pk=version.pk).update(secret_env=[["API_KEY", sealed.seal("s3cret")]])
    client.force_login(world["charlie"])  # a viewer
    page = client.get(f"/versions/{version.pk}/").content.decode()
    assert "API_KEY=••••••" in page and "s3cret" not in page
    client.force_login(world["alice"])
    assert "s3cret" not in client.get(f"/versions/{version.pk}/").content.decode()


def test_without_secrets_key_the_key_derives_from_secret_key():
    with override_settings(SECRETS_KEY=""):
        token = sealed.seal("x")
        assert sealed.unseal(token) == "x"
    with pytest.raises(Exception, match="SECRETS_KEY"):
        sealed.unseal(token)  # another key: refused, never garbage


def test_preview_hosts_carry_a_random_label_the_name_alone_does_not_find(svc, monkeypatch):
    from hosting.activator import versions
    from hosting.activator.versions import version_from_host

    monkeypatch.setattr(versions, "close_old_connections", lambda: None)  # the test's connection

    one, two = make_version(svc), make_version(svc)
    assert one.preview_label != two.preview_label and len(one.preview_label) == 10
    assert one.preview_host.startswith(f"testservice-001-{one.preview_label}.preview.alpha.")
    assert version_from_host(one.preview_host) == one.pk
    assert version_from_host("testservice-001.preview.alpha.apps.localhost") is None
