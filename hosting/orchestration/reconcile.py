"""The reconcile loop: converge what the engine runs to what the database wants.

`reconcile_all()` runs on beat every RECONCILE_INTERVAL_SECONDS: one engine listing for
the whole platform, then per version the cheap comparison of desired and observed
instances (replace dead or vanished ones, remove extras and orphans), one quick health
probe per instance, usage and log collection. `converge(version_id)` is the fast path the
autoscaler and the activator trigger after changing Version.desired_instances: it also
waits for new instances to answer, so a held request can be sent on at once.

Both are idempotent and safe to run beside each other and beside a deploy.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hosting import runtimes
from hosting.models import Instance, Version
from hosting.orchestration import deploy, health, instances, lease, logs, phases
from hosting.runtimes import specs
from hosting.runtimes.base import Observed, Runtime, RuntimeFailure
from hosting.status import SERVING, InstanceStatus, TransitionError, VersionStatus

log = logging.getLogger(__name__)
PROBE_THREADS = 8
PURGE_EVERY_SECONDS = 600
_last_purge = 0.0


def target_count(version: Version) -> int | None:
    """How many instances should run; None while a deploy owns the version."""
    if not version.is_live:
        return 0
    if version.status in SERVING:
        return version.desired_instances
    if version.status in {VersionStatus.CREATING, VersionStatus.ADJUSTING}:
        return None
    return 0


def reconcile_all() -> None:
    runtime = runtimes.get_runtime()
    observed = runtime.observe(specs.namespace_selector())
    by_version: dict[int | None, list[Observed]] = defaultdict(list)
    for item in observed:
        by_version[specs.version_id_of(item.labels)].append(item)
    versions = (Version.objects.filter(
        Q(pk__in=[vid for vid in by_version if vid is not None])
        | Q(deleted_at__isnull=True, status__in=SERVING)
        | Q(status=VersionStatus.DELETING) | Q(instances__isnull=False))
        .distinct().select_related("service__tenant"))
    known = set()
    for version in versions:
        known.add(version.pk)
        try:
            if not version.is_live:
                deploy.remove(version.pk)
            else:
                _converge(version, by_version.get(version.pk, []), runtime, wait=False, sample=True)
        except RuntimeFailure:
            log.exception("reconciling %s failed", version)
    for vid, items in by_version.items():
        if vid not in known:  # orphans: no such version (or no version label at all)
            for item in items:
                runtime.remove(item.name)
    _resume_stalled()
    _purge_now_and_then()


def converge(version_id: int) -> None:
    runtime = runtimes.get_runtime()
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        deploy.remove(version_id)
        return
    _converge(version, runtime.observe(specs.version_selector(version_id)), runtime,
              wait=True, sample=False)


def _converge(version: Version, observed: list[Observed], runtime: Runtime, wait: bool,
              sample: bool) -> None:
    target = target_count(version)
    if target is None:
        return
    rows = {row.ordinal: row for row in version.instances.all()}
    by_name = {item.name: item for item in observed}
    wanted = {specs.container_name(Instance.name_for(version, n)): n for n in range(target)}
    changed = _remove_extra(version, runtime, observed, rows, wanted, target)
    fresh = []
    for name, ordinal in wanted.items():
        row, item, started = _ensure_one(version, runtime, rows.get(ordinal), by_name.get(name), ordinal)
        rows[ordinal], by_name[name] = row, item
        if started:
            fresh.append(row)
            changed = True
    if wait and fresh:
        changed |= _wait_ready(version, runtime, fresh, by_name)
    changed |= _probe(version, runtime, rows, by_name)
    _update_status(version, list(rows.values()))
    if sample:
        _sample(version, runtime, rows.values(), by_name)
    if changed:
        deploy.sync_router()


def _remove_extra(version, runtime, observed, rows, wanted, target) -> bool:
    changed = False
    for item in observed:
        if item.name not in wanted:
            ordinal = specs.ordinal_of(item.labels)
            row = rows.pop(ordinal, None) if ordinal is not None else None
            instances.stop(runtime, version, item.name, row)
            changed = True
    for ordinal in [n for n in rows if n >= target]:
        row = rows.pop(ordinal)
        instances.stop(runtime, version, instances.engine_name(row), row)
        changed = True
    return changed


def _ensure_one(version, runtime, row, item, ordinal):
    """(row, observed, started_new): replace a dead or vanished instance, adopt a
    container whose row a killed task never wrote."""
    failures = 0
    if item is not None and item.dead:
        message, detail = instances.describe_exit(runtime, version, item)
        version.record("instance:replaced", f"Instance {item.name} stopped; replacing it. "
                                            f"{message}", detail, level="warning")
        failures = (row.health_failures if row else 0) + 1
        instances.stop(runtime, version, item.name, row)
        row = item = None
    elif item is None and row is not None and row.container_id:
        version.record("instance:replaced", f"Instance {row.name} disappeared from the engine; "
                                            "replacing it.", level="warning")
        failures = row.health_failures + 1
    if item is not None and row is not None:
        return row, item, False
    new_row, new_item = instances.start(runtime, version, ordinal)
    if failures:  # a crash loop counts against health, so the version can turn abnormal
        new_row.health_failures = failures
        new_row.save(update_fields=["health_failures"])
    return new_row, new_item, item is None


def _wait_ready(version, runtime, fresh, by_name) -> bool:
    """Hold until new instances answer (after InitialDelaySeconds), like a deploy does."""
    changed = False
    for row in fresh:
        item = by_name[instances.engine_name(row)]
        delay = version.initial_delay_seconds - (timezone.now() - row.started).total_seconds()
        if delay > 0:
            time.sleep(delay)
        result, _ = health.check_with_retries(
            lambda timeout, item=item: runtime.probe(item, version.port, timeout))
        if result.ok:
            _mark(row, True)
            changed = True
    return changed


def _probe(version, runtime, rows, by_name) -> bool:
    """One quick probe per running instance past its initial delay."""
    now = timezone.now()
    due = []
    for row in rows.values():
        item = by_name.get(instances.engine_name(row))
        if item is None or not item.running:
            continue
        if not row.ready and (now - row.started).total_seconds() < version.initial_delay_seconds:
            continue
        due.append((row, item))
    if not due:
        return False
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    with ThreadPoolExecutor(max_workers=min(PROBE_THREADS, len(due))) as pool:
        results = list(pool.map(lambda pair: runtime.probe(pair[1], version.port, timeout), due))
    changed = False
    for (row, _item), result in zip(due, results, strict=True):
        was_ready = row.ready
        if result.ok:
            _mark(row, True)
        else:
            row.health_failures += 1
            if row.health_failures >= settings.HEALTH_CHECK_RETRIES and row.ready:
                row.ready = False
                version.record("instance:unhealthy", f"Instance {row.name} failed "
                               f"{row.health_failures} health checks in a row: "
                               f"{health.describe_failure(result, version.port, timeout)}",
                               level="warning")
            row.save(update_fields=["health_failures", "ready"])
        changed |= row.ready != was_ready
    return changed


def _mark(row: Instance, ready: bool) -> None:
    if ready and not row.ready:
        phases.ready(row.version, row)
    row.ready, row.health_failures, row.status = ready, 0, InstanceStatus.RUNNING
    row.save(update_fields=["ready", "health_failures", "status"])


def _update_status(version: Version, rows: list[Instance]) -> None:
    if not rows:
        return
    retries = settings.HEALTH_CHECK_RETRIES
    failing = all(not r.ready and r.health_failures >= retries for r in rows)
    try:
        if version.status == VersionStatus.NORMAL and failing:
            version.set_status(VersionStatus.ABNORMAL,
                               f"Abnormal: every instance failed {retries} health checks in a row.",
                               detail="\n".join(f"{r.name}: {r.health_failures} failures"
                                                for r in rows))
        elif version.status == VersionStatus.ABNORMAL and any(r.ready for r in rows):
            version.set_status(VersionStatus.NORMAL, "Healthy again: an instance passes its "
                                                     "health checks.")
    except TransitionError:
        pass  # changed meanwhile (deleted, suspended); the next pass sees it


def _sample(version, runtime, rows, by_name) -> None:
    """CPU (of the spec's CPU) and memory per instance, and new log lines."""
    spec_cores = version.cpu_millis / 1000
    for row in rows:
        item = by_name.get(instances.engine_name(row))
        if item is None or not item.running:
            continue
        usage = runtime.stats(item.name)
        if usage is not None:
            fields = {"memory_bytes": usage.memory_bytes}
            if usage.cpu_cores >= 0 and spec_cores:
                fields["cpu_percent"] = round(usage.cpu_cores / spec_cores * 100, 1)
            Instance.objects.filter(pk=row.pk).update(**fields)
            for name, value in fields.items():
                setattr(row, name, value)
        try:
            logs.collect(runtime, version, row)
        except RuntimeFailure:
            log.exception("collecting logs of %s failed", row.name)


def _resume_stalled() -> None:
    """A deploy whose worker died (its lease ran out) or whose message Redis lost (it
    never took one) is started again; the event restarts the stall clock, so a version
    is queued at most once per DEPLOY_STALL_SECONDS."""
    from hosting import tasks

    for version in lease.stalled():
        version.record("deploy:resume", "The deploy made no progress; starting it again.")
        transaction.on_commit(lambda pk=version.pk: tasks.deploy_version.delay(pk))


def _purge_now_and_then() -> None:
    global _last_purge
    if time.monotonic() - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        logs.purge_expired()
