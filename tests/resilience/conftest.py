"""Resilience plumbing: the in-memory runtime (stall rule), a private Redis that can be
restarted, and a Celery worker that can be killed with -9 and started again."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests import base
from tests.base import make_world
from tests.runtime.conftest import mem  # noqa: F401 (the fixture, shared)
from tests.servers import worker as worker_server
from tests.servers.registry import free_port

STALL_SECONDS = 3.0  # what the worker waits before it resumes a dead or lost deploy
DEADLINE_SECONDS = 45.0


def wait_for(predicate: Callable, seconds: float = DEADLINE_SECONDS, what: str = "condition"):
    return base.wait_for(predicate, seconds, 0.1, what)


@dataclass
class RedisServer:
    """A redis-server of this test alone, on a free loopback port, without persistence:
    a restart loses every queued message, as a crash of an unpersisted Redis does."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def start(self) -> None:
        log = open(self.workdir / "redis.log", "a")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._answers, 15, "redis-server answering PING")

    def _answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


class Workers:
    """Celery workers (with beat) on one broker, started and killed by the test."""

    def __init__(self, workdir: Path, broker_url: str):
        self.workdir, self.broker_url = workdir, broker_url
        self.started: list[worker_server.Worker] = []

    def start(self) -> worker_server.Worker:
        workdir = self.workdir / f"worker{len(self.started)}"
        workdir.mkdir()
        worker = worker_server.start_worker(workdir, self.broker_url)
        self.started.append(worker)
        return worker

    @staticmethod
    def kill(worker: worker_server.Worker) -> None:
        """kill -9 of both workers' process groups: main processes, pool children, beat."""
        for process in (worker.process, worker.deploy_process):
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.started:
            worker_server.stop_worker(worker)

    def logs(self) -> str:
        return "\n".join(f"--- worker {n} ---\n{w.tail(60)}" for n, w in enumerate(self.started))


@pytest.fixture
def resilient(transactional_db, podman, registry_server, push_test_image, settings, tmp_path):
    """Committed rows (the worker is another process), the real engine and registry, and
    a short stall period so a dead deploy is resumed within seconds. The router's files
    go to a directory of the test's own (no HAProxy runs: syncs just write them)."""
    settings.DEPLOY_STALL_SECONDS = STALL_SECONDS
    settings.ROUTER_DIR = tmp_path / "router"
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    leftovers = podman.containers.list(all=True, filters={
        "label": f"hosting.namespace={settings.RUNTIME_NAMESPACE}"})
    assert not leftovers, f"containers left by an earlier test: {[c.name for c in leftovers]}"
    return make_world()


@pytest.fixture
def shared_broker() -> Iterator[str]:
    """A Redis DB of the system Redis that no other test session uses."""
    with worker_server.leased_broker() as url:
        yield url


@pytest.fixture
def workers(tmp_path_factory) -> Iterator[Callable[[str], Workers]]:
    """workers(broker_url) -> Workers; this process enqueues to that broker too. Every
    worker is stopped afterwards (its log printed, shown when the test fails)."""
    made: list[Workers] = []
    with ExitStack() as stack:
        def on(broker_url: str) -> Workers:
            stack.enter_context(worker_server.web_enqueues_to(broker_url))
            made.append(Workers(tmp_path_factory.mktemp("workers"), broker_url))
            return made[-1]

        yield on
        for group in made:
            group.stop_all()
            print(group.logs())
