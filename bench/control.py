"""The control loop under load: concurrent deploys and the reconcile pass's cost.

Same real platform as bench/deploy.py (Podman's API on a private socket, the registry
with token auth, a throwaway SQLite database), with the real Celery workers of the test
fixture (tests/servers/worker.py: a control worker with beat, and a deploy worker with
DEPLOY_PROCESSES processes, as `make run` starts it) on a Redis database of its own.

Figures:
- concurrent_deploys_20_wall: 20 versions with InitialDelaySeconds 5 created at once,
  until the last is normal; its ratio is against one such deploy in the same run (goal
  ≤ 2: deploys wait on the row, not in a worker process).
- reconcile_pass_ms_20 / _200: the median of RECONCILE_PASSES passes (one every
  RECONCILE_INTERVAL_SECONDS, as beat runs them) with 20 and 200 running instances of
  the busybox httpd image, after every instance is ready; reconcile_growth_ratio is the
  per-instance cost at 200 over the one at 20 (goal ≤ 0.5).
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench import profile
from bench.bounded import in_threads, progress, wait
from bench.deploy import _platform, push_image

CONCURRENT = 20
DEPLOY_PROCESSES = 4  # scripts/run.sh's deploy worker
DELAY = 5
INSTANCES_PER_VERSION = 10
RECONCILE_PASSES = 6
DEADLINE_SECONDS = 300
CONVERGE_THREADS = 4


def run() -> list[tuple[str, float, str, float | None]]:
    """BENCH_CONTROL_PARTS=deploys (or reconcile) measures one half only."""
    parts = os.environ.get("BENCH_CONTROL_PARTS", "deploys,reconcile").split(",")
    work = Path(tempfile.mkdtemp(prefix="bench-control-"))
    progress("control", f"starting the platform (engine, registry, web) in {work}")
    rows = []
    with _platform(work, tasks_in_threads=False) as env:
        services = [env["service"], _second_service(env)]
        if "deploys" in parts:
            single, wall = _measure_deploys(env, services)
            rows += [("concurrent_deploys_20_wall", wall, "s", wall / single,
                      "concurrent_deploys_ratio"), ("single_deploy_wall", single, "s", None)]
        if "reconcile" in parts:
            passes = _measure_reconcile(services)
            small, large = passes[20], passes[200]
            growth = (large / 200) / (small / 20)
            rows += [("reconcile_pass_ms_20", small, "ms", None),
                     ("reconcile_pass_ms_200", large, "ms", growth, "reconcile_growth_ratio")]
        progress("control", "measured; removing the run's containers and networks")
    # Only a run that ended well removes its directory: the workers' and the engine's
    # logs of a failed one are worth reading.
    shutil.rmtree(work, ignore_errors=True)
    return rows


def _second_service(env):
    from tests.base import make_service

    service = make_service(env["service"].tenant, "web2")
    push_image(env["work"], env["registry_host"], service, env["image"])
    return service


# Concurrent deploys through the real workers ------------------------------------------
@contextmanager
def _workers(work: Path):
    from tests.servers import worker as worker_server

    progress("control", f"starting the workers (deploy queue: {DEPLOY_PROCESSES} processes)")
    with worker_server.leased_broker() as broker_url:
        worker = worker_server.start_worker(work, broker_url, deploy_concurrency=DEPLOY_PROCESSES)
        try:
            with worker_server.web_enqueues_to(broker_url):
                yield worker
        finally:
            worker_server.stop_worker(worker)


def _measure_deploys(env, services) -> tuple[float, float]:
    (env["work"] / "workers").mkdir(exist_ok=True)
    with _workers(env["work"] / "workers"):
        # Warm-up: each repository's image pulled once, so both figures exclude pulls.
        _deploy_all([_config(initial_delay_seconds=0)] * 11, services, "warm-up")
        _delete_all()
        single = _deploy_all([_config()], services, "single")
        _delete_all()
        wall = _deploy_all([_config() for _ in range(CONCURRENT)], services, "concurrent")
        _delete_all()
    return single, wall


def _delete_all() -> None:
    from hosting.domain.versions import delete_version
    from hosting.models import Version

    for version in Version.objects.live():
        delete_version(version)
    left = Version.objects.exclude(status="deleted")
    wait(lambda: not left.exists(), "every version deleted by the deploy worker",
         DEADLINE_SECONDS, describe=lambda: _statuses(left))


def _config(**overrides):
    from hosting.domain.config import VersionConfig

    return VersionConfig(**{"image_tag": "v1", "port": 8080, "initial_delay_seconds": DELAY,
                            "min_replicas": 1, "traffic_policy": "keep_zero", **overrides})


def _deploy_all(configs, services, label: str) -> float:
    """Create the versions at once (spread over the services: 10 at most each) and time
    them until the last one is normal."""
    from hosting.domain.versions import create_version
    from hosting.models import Version

    progress("control", f"{label}: deploying {len(configs)} version(s)")
    began, began_at = time.perf_counter(), time.time()
    ids = [create_version(services[n // 10], config).pk for n, config in enumerate(configs)]
    versions = Version.objects.filter(pk__in=ids)

    def all_normal() -> bool:
        statuses = set(versions.values_list("status", flat=True))
        if statuses - {"creating", "normal"}:
            raise RuntimeError(f"a {label} deploy ended badly: {_statuses(versions)}"
                               f"{_errors(versions)}")
        return statuses == {"normal"}

    wait(all_normal, f"{label}: {len(ids)} deploys to reach normal", DEADLINE_SECONDS,
         describe=lambda: _statuses(versions))
    wall = time.perf_counter() - began
    profile.report(label, ids, began_at)
    return wall


def _statuses(versions) -> str:
    return ", ".join(f"{v.name}: {v.status}" for v in versions.order_by("pk")[:30])


def _errors(versions) -> str:
    """Each failed version's error, with its detail (the engine's own words)."""
    lines = []
    for version in versions.filter(status="deploy_failed"):
        error = version.latest_error()
        if error is not None:
            lines.append(f"\n{version.name}: {error.message}\n{error.detail}")
    return "".join(lines)


# The reconcile pass at 20 and 200 instances -------------------------------------------
@contextmanager
def _no_tasks():
    """No worker runs now: what the domain enqueues is dropped (the bench converges)."""
    from hosting import tasks

    names = ("deploy_version", "delete_version", "converge_version", "sync_router")
    saved = {name: (getattr(tasks, name).delay, getattr(tasks, name).apply_async) for name in names}
    for name in names:
        getattr(tasks, name).delay = lambda *args: None
        getattr(tasks, name).apply_async = lambda *args, **kwargs: None
    try:
        yield
    finally:
        for name, (delay, apply_async) in saved.items():
            getattr(tasks, name).delay, getattr(tasks, name).apply_async = delay, apply_async


def _measure_reconcile(services) -> dict[int, float]:
    from django.conf import settings
    from django.test import override_settings

    results = {}
    # The production defaults (tests.settings lists the engine on every pass); 200
    # instances in one tenant is past the default tenant quotas, so they are lifted.
    lifted = {name: 10**6 for name in settings.QUOTAS}
    with _no_tasks(), override_settings(RECONCILE_FULL_LIST_SECONDS=30.0,
                                        HEALTH_PROBE_INTERVAL_SECONDS=30.0, QUOTAS=lifted):
        for total in (20, 200):
            _grow_to(total, services)
            progress("control", f"timing {RECONCILE_PASSES} reconcile passes at {total} instances")
            results[total] = _median_pass()
    return results


def _grow_to(total: int, services) -> None:
    """Serving versions of INSTANCES_PER_VERSION running, ready instances each."""

    from hosting.domain.versions import create_version
    from hosting.models import Instance, Version
    from hosting.orchestration import images, reconcile

    have = Instance.objects.count() // INSTANCES_PER_VERSION
    created = []
    for n in range(have, total // INSTANCES_PER_VERSION):
        version = create_version(services[n // 10], _config(
            initial_delay_seconds=0, min_replicas=INSTANCES_PER_VERSION,
            max_replicas=INSTANCES_PER_VERSION))
        Version.objects.filter(pk=version.pk).update(
            status="normal", desired_instances=INSTANCES_PER_VERSION,
            image_digest=images.resolve_digest(version.service.repository, "v1"))
        created.append(version.pk)
    progress("control", f"starting {len(created) * INSTANCES_PER_VERSION} instances "
                        f"({len(created)} versions, {CONVERGE_THREADS} at a time)")
    in_threads(reconcile.converge, created, CONVERGE_THREADS, DEADLINE_SECONDS,
               f"converge of the versions growing the fleet to {total} instances")
    wait(lambda: _all_ready(total), f"{total} instances running and ready", DEADLINE_SECONDS,
         describe=lambda: _instance_counts())


def _instance_counts() -> str:
    from django.db.models import Count

    from hosting.models import Instance

    rows = Instance.objects.values("status", "ready").annotate(n=Count("id")).order_by()
    return ", ".join(f"{row['n']} {row['status']}{' ready' if row['ready'] else ''}" for row in rows)


def _all_ready(total: int) -> bool:
    from hosting.models import Instance
    from hosting.orchestration import reconcile

    reconcile.reconcile_all()
    return Instance.objects.filter(ready=True).count() == total


def _median_pass() -> float:
    from django.conf import settings

    from hosting.orchestration import reconcile

    times = []
    for _ in range(RECONCILE_PASSES):
        time.sleep(settings.RECONCILE_INTERVAL_SECONDS)
        began = time.perf_counter()
        with _profiled():
            reconcile.reconcile_all()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


@contextmanager
def _profiled():
    """BENCH_PROFILE=1: the pass's top functions by cumulative time, on stderr."""
    if not os.environ.get("BENCH_PROFILE"):
        yield
        return
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
