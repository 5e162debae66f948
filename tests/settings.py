"""Test settings: the real settings module with test-safe environment defaults."""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("HOSTING_LOCAL_ENV", "")  # never a developer's var/local.env
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECRETS_KEY", "dGVzdC1vbmx5LXNlY3JldHMta2V5LTMyLWJ5dGVzISE=")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
if "REGISTRY_HOST" not in os.environ:
    # Tests reach only registries they start themselves (their fixtures set REGISTRY_HOST
    # for workers and override the settings in-process). Without one, the platform's
    # registry is the discard port, never whatever answers on 127.0.0.1:5000 (`make run`).
    os.environ.setdefault("REGISTRY_URL", "http://127.0.0.1:9")
# The router's files (config, host map, HAProxy's master socket) of this test session
# and its workers live in a directory of their own, never in the checkout's var/router:
# `make run`'s router lives there, and every test deploy syncs the router, which would
# reload it with the test database's config (a bench's workers did just that).
if "ROUTER_DIR" not in os.environ:
    os.environ["ROUTER_DIR"] = tempfile.mkdtemp(prefix="hosting-test-router-")
    atexit.register(shutil.rmtree, os.environ["ROUTER_DIR"], ignore_errors=True)
# Tests see the engine on every reconcile pass (the cache between listings has tests of
# its own, tests/runtime/test_fleet_cache.py).
os.environ.setdefault("RECONCILE_FULL_LIST_SECONDS", "0")

from hosting.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not shared-cache memory: threads in the concurrency tests then lock the
    # way web, worker and beat processes do.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405

# No collectstatic before tests: serve from the finders with plain names.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Login and token-creation counts per test process, cleared before each test
# (tests/conftest.py): test runs sharing one Redis never lock each other's "alice".
CACHES = {**CACHES, "logins": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",  # noqa: F405
                               "LOCATION": "logins"}}
LOGIN_THROTTLE_CACHE = "logins"
WHITENOISE_AUTOREFRESH = True
