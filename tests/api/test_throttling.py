"""Throttling: per user, counted in Redis so every web worker shares one budget."""
import uuid

import pytest
import redis
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings):
    """The real Redis cache on the test Redis database, under a prefix of its own."""
    prefix = f"api-throttle-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": django_settings.REDIS_URL, "KEY_PREFIX": prefix}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "3/min", "anon": "2/min"}}
    server = redis.Redis.from_url(django_settings.REDIS_URL)
    yield server, prefix
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


def test_a_user_over_the_rate_gets_429_and_others_do_not(alice, bob, redis_cache):
    server, prefix = redis_cache
    statuses = [alice.get("/api/v1/versions/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = alice.get("/api/v1/versions/")
    assert "Retry-After" in throttled.headers
    assert bob.get("/api/v1/versions/").status_code == 200
    assert any(server.scan_iter(f"{prefix}:*throttle_user_*")), "the counts live in Redis"


def test_anonymous_callers_of_public_endpoints_are_throttled_by_address(client, redis_cache):
    statuses = [client.get("/api/schema/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_an_unreachable_cache_lets_requests_through(alice, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "1/min", "anon": "1/min"}}
    assert [alice.get("/api/v1/versions/").status_code for _ in range(2)] == [200, 200]
