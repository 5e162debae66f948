"""Rollouts on real parts: HAProxy, Podman, the registry and Celery workers (with beat)
as subprocesses, and a test image whose app answers 500 to a share of its requests.

Steps hold for seconds (ROLLOUT_MIN_HOLD_SECONDS is lowered before the worker starts,
so the worker accepts the short holds too) and the machine ticks twice a second.
Every wait is for a condition, with a generous bound.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.conf import settings

from hosting import router as router_module
from hosting.models import Rollout, Version
from tests import base
from tests.base import make_world
from tests.runtime.conftest import new_version
from tests.servers import worker as worker_server

REPO = "alpha/testservice"
DEADLINE_SECONDS = 120.0
PATH = "/cgi-bin/app"  # the flaky image's app: 500 for FAIL_PERCENT % of requests


def wait_for(predicate, seconds: float = DEADLINE_SECONDS, what: str = "condition"):
    return base.wait_for(predicate, seconds, 0.1, what)


@pytest.fixture
def fast_rollouts(settings):
    """Before any worker starts: it reads these from its environment."""
    settings.ROLLOUT_MIN_HOLD_SECONDS = 1
    settings.ROLLOUT_TICK_SECONDS = 0.5
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5


@pytest.fixture
def rollout_world(fast_rollouts, router, podman, registry_server, push_test_image):
    """alice's tenant and service, the flaky image pushed as v1, HAProxy running."""
    world = make_world()
    push_test_image(REPO, "v1", image="flaky")
    return {**world, "router": router}


def host() -> str:
    return f"testservice.alpha.{settings.APPS_DOMAIN}"


def deploy_version(service, name: str, fail_percent: int = 0, sleep: str = "", **config) -> Version:
    """A version of the flaky image (one instance) whose answers name it."""
    env = [("VERSION", name), ("FAIL_PERCENT", str(fail_percent)), ("SLEEP", sleep)]
    return new_version(service, min_replicas=1, max_replicas=1, env=env, **config)


def wait_normal(version: Version, worker=None) -> Version:
    def normal():
        row = Version.objects.get(pk=version.pk)
        assert row.status not in {"deploy_failed", "abnormal"}, (
            row.latest_error(), worker.tail() if worker else "")
        return row if row.status == "normal" else None
    return wait_for(normal, what=f"{version.name} normal")


def serving_old(service) -> Version:
    """The version everyone uses now: open 100% once deployed."""
    old = deploy_version(service, "old", traffic_policy="open_full")
    old = wait_normal(old)
    wait_for(lambda: Version.objects.get(pk=old.pk).traffic_percent == 100, what="old at 100%")
    return old


def rollout_of(version: Version) -> Rollout | None:
    return Rollout.objects.filter(version=version).first()


def at_step(version: Version, index: int) -> Rollout:
    def reached():
        rollout = rollout_of(version)
        return rollout if rollout and (rollout.step_index, rollout.state) == (index, "running") else None
    return wait_for(reached, what=f"step {index + 1} of {version.name}'s rollout")


def finished(version: Version) -> Rollout:
    return wait_for(lambda: (r := rollout_of(version)) and not r.is_active and r,
                    what=f"{version.name}'s rollout finished")


def send(router, count: int) -> list[tuple[int, str]]:
    """`count` requests through HAProxy to the service: [(status, body)]. The router is
    synced first, so the weights of the step the database shows are applied."""
    router_module.sync()
    return [(status, body.decode().strip())
            for status, body, _headers in (router.request(host(), PATH, timeout=30)
                                           for _ in range(count))]


def share_of(answers: list[tuple[int, str]], name: str) -> float:
    return 100.0 * sum(1 for _s, body in answers if body.startswith(f"version={name} ")) / len(answers)


@dataclass
class Traffic:
    """Requests in a loop from a thread until stopped; every answer is kept."""

    router: object
    answers: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                status, body, _headers = self.router.request(host(), PATH, timeout=30)
                self.answers.append((status, body.decode().strip()))
            except OSError as exc:
                self.answers.append((0, f"error {exc}"))

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(60)


class Workers:
    """Celery workers (with beat) on one leased broker, started and killed by the test."""

    def __init__(self, workdir, broker_url: str):
        self.workdir, self.broker_url, self.started = workdir, broker_url, []

    def start(self) -> worker_server.Worker:
        workdir = self.workdir / f"worker{len(self.started)}"
        workdir.mkdir()
        self.started.append(worker_server.start_worker(workdir, self.broker_url))
        return self.started[-1]

    @staticmethod
    def kill(worker: worker_server.Worker) -> None:
        """kill -9 of the whole group: main process, pool children, beat."""
        os.killpg(os.getpgid(worker.process.pid), signal.SIGKILL)
        worker.process.wait(timeout=10)


@pytest.fixture
def workers(rollout_world, tmp_path_factory) -> Iterator[Workers]:
    with worker_server.leased_broker() as url, worker_server.web_enqueues_to(url):
        group = Workers(tmp_path_factory.mktemp("workers"), url)
        try:
            yield group
        finally:
            for worker in group.started:
                worker_server.stop_worker(worker)
                print(f"--- worker log ---\n{worker.tail(60)}")
