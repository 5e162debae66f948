"""Throttled logins and API-key creation, capped uploads, filters that answer 400."""
import pytest
from django.test import override_settings

from hosting import logins
from tests.api.conftest import client_for


@pytest.mark.parametrize("value", ["-1e308", "1e308", str(10**30), "abc", "-1"])
@pytest.mark.parametrize("path, name", [("applications", "project"), ("services", "application"),
                                        ("versions", "service"), ("instances", "service")])
def test_huge_or_odd_ids_in_filters_answer_400_naming_the_filter(alice, path, name, value):
    response = alice.get(f"/api/v1/{path}/?{name}={value}")
    assert response.status_code == 400
    assert name in response.json()


@override_settings(LOGIN_FAILURES_MAX=3)
def test_failed_console_logins_lock_the_account_with_a_clear_message(client, world):
    for _ in range(3):
        page = client.post("/login/", {"username": "alice", "password": "wrong"})
        assert "Too many failed logins" not in page.content.decode()
    page = client.post("/login/", {"username": "alice", "password": "alice-password"})
    assert page.status_code == 200  # not logged in, even with the right password
    assert "Too many failed logins" in page.content.decode() and "at most 3" in page.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURES_MAX=3)
def test_one_address_spraying_accounts_is_locked_out_too(client, world):
    for name in ("bob", "charlie", "nobody"):
        client.post("/login/", {"username": name, "password": "wrong"})
    page = client.post("/login/", {"username": "alice", "password": "alice-password"})
    assert "Too many failed logins" in page.content.decode()


@override_settings(LOGIN_FAILURES_MAX=3)
def test_a_success_clears_the_accounts_count(client, world):
    for _ in range(2):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    client.post("/login/", {"username": "alice", "password": "alice-password"})
    assert not logins.locked("alice")


@override_settings(LOGIN_FAILURES_MAX=2)
def test_the_admin_login_is_throttled(client, world):
    for _ in range(2):
        client.post("/admin/login/", {"username": "alice", "password": "wrong"})
    page = client.post("/admin/login/", {"username": "alice", "password": "alice-password"})
    assert "Too many failed logins" in page.content.decode()


@override_settings(LOGIN_FAILURES_MAX=2)
def test_the_registry_token_endpoint_counts_the_same_failures(world):
    from hosting.registry.tokens import BadCredentials, principal_for

    for _ in range(2):
        with pytest.raises(BadCredentials):
            principal_for("alice", "wrong")
    with pytest.raises(BadCredentials, match="Too many failed logins"):
        principal_for("alice", "alice-password")


@override_settings(TOKEN_CREATES_PER_HOUR=2)
def test_api_keys_are_created_at_a_bounded_rate(world):
    alice = client_for(world["alice_key"])
    assert [alice.post("/api/v1/tokens/", {"name": "ci"}).status_code for _ in range(2)] == [201, 201]
    response = alice.post("/api/v1/tokens/", {"name": "ci"})
    assert response.status_code == 429 and "at most 2 per hour" in response.json()["detail"]


@override_settings(TOKEN_CREATES_PER_HOUR=1)
def test_the_console_says_when_too_many_keys_were_made(client, world):
    client.force_login(world["alice"])
    client.post("/tokens/", {"name": "one"})
    page = client.post("/tokens/", {"name": "two"}).content.decode()
    assert "at most 1 per hour" in page


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_api_body_is_refused(alice, svc):
    response = alice.post("/api/v1/versions/", {"service": svc.pk, "image_tag": "v1",
                                                "description": "x" * 5000}, format="json")
    assert response.status_code in {400, 413}
