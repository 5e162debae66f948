"""Settings for the hosting platform, all read from the environment.

Embedded defaults (SQLite, local Podman, local registry and router on loopback) make
`make run` work with no configuration; production sets DEBUG=0 and SECRET_KEY. The file
HOSTING_LOCAL_ENV (default var/local.env, which `make run` writes with a SECRET_KEY)
supplies defaults, so `python manage.py ...` next to `make run` needs no environment.
"""
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hosting.env import env_bool, env_float, env_int, env_list, env_str, load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HOSTING_VAR_DIR", str(BASE_DIR / "var")))
load_env_file(env_str("HOSTING_LOCAL_ENV", str(VAR_DIR / "local.env")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

# Fernet key sealing secret environment values at rest (hosting/sealed.py); derived from
# SECRET_KEY when empty.
SECRETS_KEY = env_str("SECRETS_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "hosting",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "hosting.urls"
WSGI_APPLICATION = "hosting.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database() -> dict:
    """PostgreSQL (or anything) via DATABASE_URL; otherwise embedded SQLite tuned for
    web, workers and beat writing at once: WAL lets readers run beside the writer, the
    busy timeout waits instead of failing with "database is locked", and IMMEDIATE
    transactions take the write lock up front so a transaction that reads a counter and
    then writes it can never be overtaken (SQLite ignores select_for_update)."""
    url = env_str("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "hosting.sqlite3")),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env_str("SQLITE_TEST_PATH", "") or None},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Failed logins (console, admin, registry tokens) and API-key creation are throttled in
# the shared cache (hosting/logins.py).
AUTHENTICATION_BACKENDS = ["hosting.logins.ThrottledModelBackend"]
LOGIN_FAILURES_MAX = env_int("LOGIN_FAILURES_MAX", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
TOKEN_CREATES_PER_HOUR = env_int("TOKEN_CREATES_PER_HOUR", 20)
LOGIN_THROTTLE_CACHE = env_str("LOGIN_THROTTLE_CACHE", "default")  # an alias in CACHES
# Request bodies and .env uploads are capped before anything is parsed or stored.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
ENV_UPLOAD_MAX_BYTES = env_int("ENV_UPLOAD_MAX_BYTES", 64 * 1024)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security: strict unless DEBUG; each can be relaxed from the environment (e.g. a
# platform behind a TLS-terminating proxy on loopback).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Celery: Redis broker; tasks take ids, are acked late and are idempotent, so a worker
# killed halfway leaves the message to be run again.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
# Two lanes: control work (router sync, autoscale tick, traffic, wake-ups, reconcile)
# never queues behind deploys (steps that pull images and start containers).
CELERY_TASK_DEFAULT_QUEUE = "control"
CELERY_TASK_ROUTES = {"hosting.deploy_version": {"queue": "deploy"},
                      "hosting.delete_version": {"queue": "deploy"},
                      "hosting.collect_observations": {"queue": "deploy"}}
RECONCILE_INTERVAL_SECONDS = env_float("RECONCILE_INTERVAL_SECONDS", 5.0)
# A deploy in creating/adjusting whose lease (renewed by the running deploy) expired and
# that recorded nothing for this long is started again by the reconcile pass.
DEPLOY_STALL_SECONDS = env_float("DEPLOY_STALL_SECONDS", 120.0)
# A deploy's scheduled look this late (its message lost) is restarted by reconcile.
DEPLOY_OVERDUE_SECONDS = env_float("DEPLOY_OVERDUE_SECONDS", 5.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hosting.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "hosting.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "hosting.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["hosting.api.throttling.UserThrottle",
                                 "hosting.api.throttling.AnonThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env_str("API_THROTTLE_USER", "1200/min"),
                               "anon": env_str("API_THROTTLE_ANON", "60/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hosting platform API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Instance and its detail (with `start`) share one status enum; Version has its own.
    "ENUM_NAME_OVERRIDES": {"InstanceStatusEnum": "hosting.status.InstanceStatus"},
}
# The shared cache (API throttling counts) lives in Redis, so every web worker sees one count.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": env_str("CACHE_URL", REDIS_URL), "KEY_PREFIX": "hosting"}}

# The platform's own parts; every address is loopback by default.
APPS_DOMAIN = env_str("APPS_DOMAIN", "apps.localhost")
ROUTER_PORT = env_int("ROUTER_PORT", 8080)
REGISTRY_HOST = env_str("REGISTRY_HOST", "127.0.0.1:5000")
REGISTRY_URL = env_str("REGISTRY_URL", f"http://{REGISTRY_HOST}")
REGISTRY_SERVICE = env_str("REGISTRY_SERVICE", "hosting-registry")
REGISTRY_ISSUER = env_str("REGISTRY_ISSUER", "hosting-platform")
REGISTRY_TOKEN_TTL_SECONDS = env_int("REGISTRY_TOKEN_TTL_SECONDS", 300)
REGISTRY_KEY_DIR = Path(env_str("REGISTRY_KEY_DIR", str(VAR_DIR / "registry-keys")))
RUNTIME_BACKEND = env_str("RUNTIME_BACKEND", "local")
# Containers carry this label value and (unless it is "hosting") a name prefix, so test
# runs and a dev platform sharing one engine never touch each other's containers.
RUNTIME_NAMESPACE = env_str("RUNTIME_NAMESPACE", "hosting")
RUNTIME_STOP_TIMEOUT_SECONDS = env_int("RUNTIME_STOP_TIMEOUT_SECONDS", 1)
# Tenant isolation (README "Security model"). Each tenant's containers get a network of
# their own, fenced by iptables from other tenants, the host and private ranges;
# TENANT_EGRESS=0 also cuts them off from the internet.
TENANT_NETWORKS = env_bool("TENANT_NETWORKS", True)
TENANT_FIREWALL = env_bool("TENANT_FIREWALL", True)
TENANT_EGRESS = env_bool("TENANT_EGRESS", True)
# Per-tenant quotas (hosting.domain.quotas); operators override them per tenant in admin.
QUOTAS = {
    "services": env_int("QUOTA_SERVICES", 50),
    "versions": env_int("QUOTA_VERSIONS", 100),
    "instances": env_int("QUOTA_INSTANCES", 100),
    "cpu_millis": env_int("QUOTA_CPU_MILLIS", 32000),
    "memory_mib": env_int("QUOTA_MEMORY_MIB", 65536),
}
RUNTIME_PIDS_LIMIT = env_int("RUNTIME_PIDS_LIMIT", 256)
# Containers drop every capability; these come back for every app (NET_BIND_SERVICE is
# added by itself for a port below 1024).
RUNTIME_CAP_ADD = env_list("RUNTIME_CAP_ADD", "")
# "auto" remaps uid 0 inside a container to an unprivileged host uid (Podman: needs a
# `containers` range in /etc/subuid and /etc/subgid); "" keeps the engine's default.
RUNTIME_USERNS = env_str("RUNTIME_USERNS", "auto")
# Disk (both backends): the root filesystem is read-only and only these paths (plus the
# directories holding a version's log paths) are writable, each a tmpfs of
# RUNTIME_TMPFS_MIB counted in the container's memory (Kubernetes: a memory-backed
# emptyDir with that sizeLimit). Podman's per-container
# `--storage-opt size=` needs overlay on XFS with project quotas (README "Security model").
RUNTIME_READ_ONLY_ROOT = env_bool("RUNTIME_READ_ONLY_ROOT", True)
RUNTIME_WRITABLE_PATHS = env_list("RUNTIME_WRITABLE_PATHS", "/tmp,/var/tmp,/run")
RUNTIME_TMPFS_MIB = env_int("RUNTIME_TMPFS_MIB", 64)
# The engine's file of a container's stdout and stderr on the host: Podman's conmon cuts
# it back when it reaches this size (0: the engine's default, unbounded on Podman).
RUNTIME_LOG_MAX_MIB = env_int("RUNTIME_LOG_MAX_MIB", 16)
HEALTH_CHECK_TIMEOUT_SECONDS = env_float("HEALTH_CHECK_TIMEOUT_SECONDS", 1.0)
DOCKER_HOST = env_str("DOCKER_HOST", f"unix://{VAR_DIR / 'podman.sock'}")
# RUNTIME_BACKEND=kubernetes (hosting/runtimes/kubernetes, README "Kubernetes backend").
KUBECONFIG = env_str("KUBECONFIG", "")  # empty: the in-cluster service account
KUBERNETES_NAMESPACE_PREFIX = env_str("KUBERNETES_NAMESPACE_PREFIX", "")  # "": RUNTIME_NAMESPACE
KUBERNETES_REGISTRY_HOST = env_str("KUBERNETES_REGISTRY_HOST", "")  # "": REGISTRY_HOST
KUBERNETES_ROUTER_CIDRS = env_list("KUBERNETES_ROUTER_CIDRS", "")
# The nodes' own addresses: their router and kubelet may connect to tenant pods, tenant
# pods may never connect to them. Default: the local cluster's node (scripts/cluster/).
KUBERNETES_NODE_CIDRS = env_list("KUBERNETES_NODE_CIDRS", "10.244.0.1/32")
# Resolvers outside the cluster that tenant pods may ask (port 53), e.g. the nodes'
# /etc/resolv.conf servers when they are private; DNS pods in the cluster always count.
KUBERNETES_DNS_CIDRS = env_list("KUBERNETES_DNS_CIDRS", "")
KUBERNETES_OVERCOMMIT = env_int("KUBERNETES_OVERCOMMIT", 10)  # requests = limits / this
# Disk per instance (writable layer, logs, emptyDir): over it the kubelet evicts the pod
# and the platform says so. 0: unbounded.
KUBERNETES_DISK_LIMIT_MIB = env_int("KUBERNETES_DISK_LIMIT_MIB", 1024)
# Tenant pods get `hostUsers: false`: uid 0 inside maps to an unprivileged host uid, as
# RUNTIME_USERNS=auto does on Podman. Needs containerd >= 2.0 and runc >= 1.2 on the
# nodes (the local cluster builds them); 0 for a cluster whose runtime cannot.
KUBERNETES_USER_NAMESPACES = env_bool("KUBERNETES_USER_NAMESPACES", True)
KUBERNETES_QUOTA_PODS = env_int("KUBERNETES_QUOTA_PODS", 100)
KUBERNETES_QUOTA_CPU = env_str("KUBERNETES_QUOTA_CPU", "64")
KUBERNETES_QUOTA_MEMORY = env_str("KUBERNETES_QUOTA_MEMORY", "128Gi")
KUBERNETES_START_TIMEOUT_SECONDS = env_int("KUBERNETES_START_TIMEOUT_SECONDS", 60)
KUBERNETES_PULL_REFRESH_SECONDS = env_int("KUBERNETES_PULL_REFRESH_SECONDS", 300)
KUBERNETES_LOG_LIMIT_BYTES = env_int("KUBERNETES_LOG_LIMIT_BYTES", 1024 * 1024)
AUTOSCALE_COOLDOWN_SECONDS = env_int("AUTOSCALE_COOLDOWN_SECONDS", 15)
SCALE_TO_ZERO_IDLE_SECONDS = env_int("SCALE_TO_ZERO_IDLE_SECONDS", 3600)
# Router (HAProxy, master-worker) and activator (wakes versions at 0 instances).
ROUTER_DIR = Path(env_str("ROUTER_DIR", str(VAR_DIR / "router")))
HAPROXY_BIN = env_str("HAPROXY_BIN", "haproxy")
ACTIVATOR_PORT = env_int("ACTIVATOR_PORT", 8081)
ACTIVATOR_HOLD_SECONDS = env_float("ACTIVATOR_HOLD_SECONDS", 30.0)
METRICS_INTERVAL_SECONDS = env_float("METRICS_INTERVAL_SECONDS", 10.0)
METRICS_RETENTION_HOURS = env_int("METRICS_RETENTION_HOURS", 24)
AUTOSCALE_INTERVAL_SECONDS = env_float("AUTOSCALE_INTERVAL_SECONDS", 5.0)
HEALTH_CHECK_RETRIES = env_int("HEALTH_CHECK_RETRIES", 3)
# A healthy instance is probed this often by the reconcile pass (staggered); one that
# failed its last probe, or is not ready yet, on every pass.
HEALTH_PROBE_INTERVAL_SECONDS = env_float("HEALTH_PROBE_INTERVAL_SECONDS", 30.0)
# The reconcile pass lists every container this often; in between it keeps its last
# listing up to date (hosting/orchestration/fleet.py).
RECONCILE_FULL_LIST_SECONDS = env_float("RECONCILE_FULL_LIST_SECONDS", 30.0)
# Each instance's logs and memory are collected this often (staggered); the CPU of
# versions with traffic on every observation tick (the autoscaler reads it).
OBSERVE_INTERVAL_SECONDS = env_float("OBSERVE_INTERVAL_SECONDS", 15.0)
LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 7)
# Gradual rollouts (hosting/rollouts): how often the machine judges a step, and the
# shortest hold a user may ask for (tests lower it to walk steps in seconds).
ROLLOUT_TICK_SECONDS = env_float("ROLLOUT_TICK_SECONDS", 5.0)
ROLLOUT_MIN_HOLD_SECONDS = env_int("ROLLOUT_MIN_HOLD_SECONDS", 15)
# Every request's time into an in-memory HAProxy ring, read by rollouts for the p95
# (off: rollouts judge 5xx only).
ROUTER_TIMINGS = env_bool("ROUTER_TIMINGS", True)
# Log collection is bounded (README "Security model"): bytes read per instance per pass
# (past it, the oldest unread bytes are skipped and the log says so), bytes stored per
# version per UTC day, and characters per stored line.
LOG_MAX_BYTES_PER_PASS = env_int("LOG_MAX_BYTES_PER_PASS", 1024 * 1024)
LOG_MAX_BYTES_PER_DAY = env_int("LOG_MAX_BYTES_PER_DAY", 256 * 1024 * 1024)
LOG_LINE_MAX_CHARS = env_int("LOG_LINE_MAX_CHARS", 8192)
# A log file larger than this is never read (the engine's archive would stream all of it):
# collection skips to its end and says so.
LOG_MAX_FILE_SCAN_BYTES = env_int("LOG_MAX_FILE_SCAN_BYTES", 64 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own console handler (DEBUG only) would print every django.* line a
    # second time beside the root's.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
