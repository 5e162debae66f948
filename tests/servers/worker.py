"""Real Celery workers (with embedded beat) on the test database and their own Redis DB.

Fixtures:
- `celery_worker` (function): `celery -A hosting worker -B -Q control` and
  `celery -A hosting worker -Q deploy` as subprocesses (as `make run` starts them) against the
  database pytest-django made for this run (the SQLite file, or PostgreSQL's `test_...`
  database) and a Redis database of its own (it leases the first free one of 14, 13, ...
  1, so parallel test sessions on one machine never share a queue; E2E_BROKER_URL
  overrides; emptied before and after), with the settings the podman, registry and router
  fixtures apply passed as environment variables. The web side (the live_server
  thread, this process) enqueues to the same broker while the fixture is active, so the
  flow is the real one: request → on_commit → Redis → worker.
  Yields a `Worker` (its `log()` is worth printing when a test fails); stopped afterwards.

Tests that use it need committed rows (transactional_db, or live_server's) because the
worker reads them from another process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379"
BROKER_DBS = range(14, 0, -1)  # 15 is the tests' cache, 0 the dev platform's
LEASE_KEY = "hosting-e2e:lease"
LEASE_SECONDS = 900
READY_DEADLINE_SECONDS = 60
STOP_GRACE_SECONDS = 10
RECONCILE_INTERVAL_SECONDS = 1.0
# Settings the worker must share with the test process (fixtures override them at run
# time); hosting/settings.py reads each from the environment variable of the same name.
PASSED_PREFIXES = ("DOCKER_", "RUNTIME_", "KUBE", "REGISTRY_", "ROUTER_", "HAPROXY_", "ACTIVATOR_",
                   "APPS_", "HEALTH_CHECK_", "AUTOSCALE_", "SCALE_TO_ZERO_", "LOG_RETENTION_",
                   "DEPLOY_", "ROLLOUT_")


@dataclass
class Worker:
    """The control worker (with beat) and the deploy worker, as `make run` starts them."""

    process: subprocess.Popen
    log_path: Path
    broker_url: str
    deploy_process: subprocess.Popen | None = None
    deploy_log_path: Path | None = None

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace")
        if self.deploy_log_path is not None and self.deploy_log_path.exists():
            text += "\n--- deploy worker ---\n" + self.deploy_log_path.read_text(errors="replace")
        return text

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def database_env() -> dict[str, str]:
    """Where the worker finds the test database (pytest-django renamed it in place)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(db["NAME"])}
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return {"DATABASE_URL": f"postgres://{auth}@{host}/{db['NAME']}"}
    raise RuntimeError(f"no worker recipe for the {connection.vendor} database")


def settings_env() -> dict[str, str]:
    """The current values of the shared settings (with every override_settings applied)."""
    env = {}
    for name in dir(settings):
        if name.startswith(PASSED_PREFIXES):
            value = getattr(settings, name)
            if isinstance(value, bool):
                env[name] = "1" if value else "0"
            elif isinstance(value, str | int | float | Path):
                env[name] = str(value)
    return env


def worker_env(broker_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "SQLITE_PATH", "CELERY_BROKER_URL"}}
    env.update(settings_env())
    env.update(database_env())
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_BROKER_URL": broker_url,
        "RECONCILE_INTERVAL_SECONDS": str(RECONCILE_INTERVAL_SECONDS),
        "DB_CONN_MAX_AGE": "0",  # no connection outlives a task: the test DB can be dropped
        "PYTHONUNBUFFERED": "1",
    })
    return env


@contextmanager
def web_enqueues_to(broker_url: str) -> Iterator[None]:
    """Make this process's Celery producer (used by the live_server thread) send to
    `broker_url`. The app and kombu's global registry cache connection pools per URL,
    so both are emptied on the way in and out (what Celery does after a fork)."""
    from kombu import pools

    from hosting.celery import app

    def reset_pools() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.get("broker_write_url")
    reset_pools()
    app.conf.broker_write_url = broker_url
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_write_url = previous


def start_worker(workdir: Path, broker_url: str, deploy_concurrency: int = 3) -> Worker:
    """Two processes, one per queue: control work never waits behind a deploy."""
    env = worker_env(broker_url)
    control = _spawn(workdir / "worker.log", env, ["-B", "--schedule", str(workdir / "celerybeat-schedule"),
                                                    "-Q", "control", "--concurrency", "2",
                                                    "--hostname", f"control-{os.getpid()}@%h"])
    deploys = _spawn(workdir / "deploy-worker.log", env,
                     ["-Q", "deploy", "--concurrency", str(deploy_concurrency),
                      "--hostname", f"deploy-{os.getpid()}@%h"])
    worker = Worker(control, workdir / "worker.log", broker_url, deploys, workdir / "deploy-worker.log")
    try:
        _wait_ready(worker)
    except BaseException:  # also Ctrl-C or SIGTERM while waiting: no worker outlives us
        stop_worker(worker)
        raise
    return worker


def _spawn(log_path: Path, env: dict[str, str], args: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "hosting", "worker", *args,
               "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with open(log_path, "w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _wait_ready(worker: Worker) -> None:
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    pairs = [(worker.process, worker.log_path), (worker.deploy_process, worker.deploy_log_path)]
    while time.monotonic() < deadline:
        for process, _path in pairs:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"a Celery worker exited:\n{worker.tail()}")
        if all(process is None or " ready." in path.read_text(errors="replace")
               for process, path in pairs):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the Celery workers were not ready in time:\n{worker.tail()}")


def stop_worker(worker: Worker) -> None:
    for process in (worker.process, worker.deploy_process):
        if process is not None:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown of a worker's process group (its pool children and embedded beat),
    then a kill if it is still there after the grace period."""
    if process.poll() is not None:
        return
    group = os.getpgid(process.pid)
    process.terminate()  # the main process only: it stops its pool and beat itself
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait()
    try:  # pool children that outlived the parent
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _consumed(client: redis.Redis, db: int) -> bool:
    """Another process is connected to this DB: a worker of a killed run outlives its
    lease and would take this session's messages (seen: a bench's orphaned workers
    consumed every deploy of the tests that leased their DB next)."""
    me = client.client_id()
    return any(int(c.get("db", -1)) == db and int(c["id"]) != me for c in client.client_list())


@contextmanager
def leased_broker() -> Iterator[str]:
    """A broker URL no other test session uses: a Redis DB claimed with SET NX (the lease
    expires by itself if this process dies), emptied before use and after."""
    if os.environ.get("E2E_BROKER_URL"):
        yield os.environ["E2E_BROKER_URL"]
        return
    owner = f"{os.getpid()}-{time.monotonic()}"
    for db in BROKER_DBS:
        client = redis.Redis.from_url(f"{REDIS}/{db}")
        try:
            if _consumed(client, db):
                continue
            if client.set(LEASE_KEY, owner, nx=True, ex=LEASE_SECONDS):
                for key in client.scan_iter():  # what a crashed run left behind
                    if key != LEASE_KEY.encode():
                        client.delete(key)
                try:
                    yield f"{REDIS}/{db}"
                finally:
                    client.flushdb()
                return
        finally:
            client.close()
    raise RuntimeError(f"no free Redis database for a test broker (tried {list(BROKER_DBS)})")


@pytest.fixture
def celery_worker(live_server, transactional_db, podman, registry_server, tmp_path_factory):
    """A running worker + beat sharing the test's database, engine and registry."""
    workdir = tmp_path_factory.mktemp("worker")
    with leased_broker() as broker_url:
        worker = start_worker(workdir, broker_url)
        try:
            with web_enqueues_to(broker_url):
                yield worker
        finally:
            stop_worker(worker)
            print(f"--- Celery worker log (last lines) ---\n{worker.tail(80)}")  # shown on failure
