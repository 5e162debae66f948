"""API test clients: one per person in tests/base.py, each with their own token."""
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from hosting.models import ApiToken, Membership
from hosting.status import VersionStatus
from tests.base import make_version

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "api-tests"},
          "logins": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                     "LOCATION": "logins"}}


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Throttle counts in a per-test memory cache, so tests never throttle each other
    (test_throttling.py checks the Redis-backed cache on its own database)."""
    settings.CACHES = LOCMEM
    from django.core.cache import cache

    cache.clear()


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def dave(world):
    """A developer in alpha."""
    user = get_user_model().objects.create_user("dave", password="dave-password")
    Membership.objects.create(user=user, tenant=world["alpha"], role=Membership.Role.DEVELOPER)
    return user


@pytest.fixture
def alice(world) -> APIClient:
    return client_for(world["alice_key"])


@pytest.fixture
def bob(world) -> APIClient:
    return client_for(world["bob_key"])


@pytest.fixture
def charlie(world) -> APIClient:
    return client_for(ApiToken.issue(world["charlie"])[1])


@pytest.fixture
def dave_client(dave) -> APIClient:
    return client_for(ApiToken.issue(dave)[1])


def normal_version(service, **overrides):
    version = make_version(service, **overrides)
    version.set_status(VersionStatus.NORMAL, "healthy")
    return version
