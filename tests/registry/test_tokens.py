"""The token endpoint and the tokens it signs (Django test client, no registry)."""
import base64
import stat
import time

import jwt
import pytest
from cryptography import x509
from django.core import signing

from hosting.models import ApiToken
from hosting.registry import keys, tokens

pytestmark = pytest.mark.usefixtures("token_settings")
URL = "/registry/token/"


def basic(username: str, password: str) -> dict:
    value = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {value}"}


def ask(client, *scopes: str, auth: dict | None = None, **params):
    query = {"service": "hosting-registry", "account": "whoever", **params}
    if scopes:
        query["scope"] = list(scopes)
    return client.get(URL, query, **(auth or {}))


def claims_of(response) -> dict:
    """Verify the token the way the registry does: signature by the cert in x5c."""
    token = response.json()["token"]
    header = jwt.get_unverified_header(token)
    cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert cert == keys.signing_key().certificate
    return jwt.decode(token, cert.public_key(), algorithms=["RS256"],
                      audience="hosting-registry", issuer="hosting-platform")


def test_alice_gets_pull_and_push_on_her_tenant(client, world):
    response = ask(client, "repository:alpha/testservice:pull,push",
                   auth=basic("alice", "alice-password"))
    assert response.status_code == 200
    claims = claims_of(response)
    assert claims["sub"] == "alice"
    assert claims["access"] == [
        {"type": "repository", "name": "alpha/testservice", "actions": ["pull", "push"]}]
    assert response.json()["access_token"] == response.json()["token"]


def test_it_rejects_other_tenants(client, world):
    response = ask(client, "repository:bravo/othersvc:pull,push",
                   auth=basic("alice", "alice-password"))
    assert response.status_code == 200
    assert claims_of(response)["access"] == []


def test_the_viewer_only_pulls(client, world):
    response = ask(client, "repository:alpha/testservice:pull,push",
                   auth=basic("charlie", "charlie-password"))
    assert claims_of(response)["access"][0]["actions"] == ["pull"]


def test_anonymous_gets_an_empty_access_list(client, world):
    response = ask(client, "repository:alpha/testservice:pull")
    assert response.status_code == 200
    claims = claims_of(response)
    assert claims["access"] == [] and claims["sub"] == ""


def test_a_login_without_scope_succeeds_with_no_access(client, world):
    response = ask(client, auth=basic("alice", "alice-password"), offline_token="true",
                   client_id="docker")
    assert response.status_code == 200
    assert claims_of(response)["access"] == []


@pytest.mark.parametrize("auth", [
    basic("alice", "wrong"),
    basic("nobody", "alice-password"),
    basic("bob", "alice-password"),
    {"HTTP_AUTHORIZATION": "Basic !!!not-base64"},
    {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"no-colon").decode()},
])
def test_bad_credentials_get_401_with_a_clear_message(client, world, auth):
    response = ask(client, "repository:alpha/testservice:pull", auth=auth)
    assert response.status_code == 401
    message = response.json()["errors"][0]["message"]
    assert message.startswith(("bad credentials", "The Authorization", "Send a user"))
    assert "WWW-Authenticate" in response.headers


def test_an_inactive_user_is_refused(client, world):
    world["alice"].is_active = False
    world["alice"].save()
    assert ask(client, auth=basic("alice", "alice-password")).status_code == 401


def test_an_api_token_works_as_the_password(client, world):
    response = ask(client, "repository:alpha/testservice:push",
                   auth=basic("alice", world["alice_key"]))
    assert claims_of(response)["access"][0]["actions"] == ["push"]
    assert ApiToken.objects.get(user=world["alice"]).last_used is not None


def test_pushing_with_an_api_token_never_counts_as_a_failed_login(client, world, settings):
    """A CI pipeline logs in to the registry with its token on every push: the account's
    console login must not be locked out by it."""
    for _ in range(settings.LOGIN_FAILURES_MAX + 2):
        assert ask(client, auth=basic("alice", world["alice_key"])).status_code == 200
    assert client.login(username="alice", password="alice-password")


def test_an_api_token_of_someone_else_is_refused(client, world):
    response = ask(client, auth=basic("alice", world["bob_key"]))
    assert response.status_code == 401


def test_a_revoked_api_token_is_refused(client, world):
    ApiToken.objects.filter(user=world["alice"]).update(revoked="2020-01-01T00:00Z")
    assert ask(client, auth=basic("alice", world["alice_key"])).status_code == 401


def test_the_oauth2_password_form_works(client, world):
    response = client.post(URL, {"grant_type": "password", "username": "alice",
                                 "password": "alice-password", "service": "hosting-registry",
                                 "scope": "repository:alpha/testservice:pull"})
    assert response.status_code == 200
    assert claims_of(response)["access"][0]["name"] == "alpha/testservice"


def test_another_service_is_refused(client, world):
    response = ask(client, auth=basic("alice", "alice-password"), service="elsewhere")
    assert response.status_code == 400


def test_the_internal_pull_credential_pulls_its_repository_only(client, world):
    password = tokens.pull_credential("alpha/testservice")
    response = ask(client, "repository:alpha/testservice:pull,push",
                   "repository:alpha/other:pull",
                   auth=basic(tokens.INTERNAL_PULL_USER, password))
    assert claims_of(response)["access"] == [
        {"type": "repository", "name": "alpha/testservice", "actions": ["pull"]}]


def test_a_forged_or_expired_pull_credential_is_refused(client, world, monkeypatch):
    forged = signing.dumps({"repository": "bravo/othersvc"}, salt="something else")
    assert ask(client, auth=basic(tokens.INTERNAL_PULL_USER, forged)).status_code == 401
    password = tokens.pull_credential("alpha/testservice")
    later = time.time() + tokens.PULL_MAX_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert ask(client, auth=basic(tokens.INTERNAL_PULL_USER, password)).status_code == 401


@pytest.mark.parametrize("configured, expected", [(1, 60), (300, 300), (10_000, 900)])
def test_the_ttl_stays_between_one_and_fifteen_minutes(client, world, token_settings,
                                                       configured, expected):
    token_settings.REGISTRY_TOKEN_TTL_SECONDS = configured
    response = ask(client, auth=basic("alice", "alice-password"))
    claims = claims_of(response)
    assert claims["exp"] - claims["iat"] == expected
    assert response.json()["expires_in"] == expected
    assert claims["nbf"] <= claims["iat"] and len(claims["jti"]) == 32


def test_the_key_is_made_once_with_private_permissions(token_settings, tmp_path):
    token_settings.REGISTRY_KEY_DIR = tmp_path / "keys"
    first = keys.signing_key()
    for name in (keys.KEY_FILE, keys.CERT_FILE):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    keys._load.cache_clear()  # another process reads the same files
    assert keys.signing_key().certificate == first.certificate
