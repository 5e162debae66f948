"""The reconcile loop: converge what the engine runs to what the database wants.

`reconcile_all()` runs on beat every RECONCILE_INTERVAL_SECONDS and must stay cheap as
the fleet grows: the engine's view comes from fleet.py (one listing every
RECONCILE_FULL_LIST_SECONDS, kept up to date in between), one query for the versions
and one for their instances, then per
version the comparison of desired and observed instances (replace dead or vanished
ones, remove extras and orphans). Health probes go only where they can change
something: instances not ready yet, instances that failed their last probe, and healthy
ones whose turn came (every HEALTH_PROBE_INTERVAL_SECONDS, staggered), all in one thread
pool. Usage and logs are not collected here (hosting/orchestration/observe.py).

`converge(version_id)` is the fast path the autoscaler and the activator trigger after
changing Version.desired_instances. It never waits: it starts what is missing, probes
what is due and answers when to look again (the task schedules itself for then), also
for an instance the engine has not started yet (a pending pod: every pass looks at it
again, through the runtime's ensure, until it runs or its start fails); the activator,
which holds a request anyway, may ask it to wait (`wait=True`).

Both are idempotent and safe to run beside each other and beside a deploy.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from hosting import enqueue, runtimes
from hosting.models import Instance, Version
from hosting.orchestration import deploy, fleet, health, instances, lease, logs, phases
from hosting.orchestration.turns import Turns
from hosting.reasons import reason
from hosting.runtimes import specs
from hosting.runtimes.base import Observed, ProbeResult, Runtime, RuntimeFailure
from hosting.status import SERVING, InstanceStatus, TransitionError, VersionStatus

log = logging.getLogger(__name__)
PROBE_THREADS = 16
PURGE_EVERY_SECONDS = 600
RECHECK_SECONDS = 0.2  # converge's next look at an instance that does not answer yet
START_POLL_SECONDS = 0.25  # converge(wait=True): the next look at a start under way
_last_purge = 0.0
probes = Turns()  # a healthy instance's probe, once per HEALTH_PROBE_INTERVAL_SECONDS


@dataclass
class Plan:
    """One version's state in a pass: its rows, what the engine shows, what changed."""

    version: Version
    rows: dict[int, Instance]
    by_name: dict[str, Observed]
    changed: bool = False
    due: list[tuple[Instance, Observed]] = field(default_factory=list)


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
    seen = fleet.current(runtime)
    by_version = seen.by_version()
    versions = list(Version.objects.filter(
        Q(pk__in=[vid for vid in by_version if vid is not None])
        | Q(deleted_at__isnull=True, status__in=SERVING)
        | Q(status=VersionStatus.DELETING) | Q(pk__in=Instance.objects.values("version_id")))
        .select_related("service__tenant"))
    rows = _rows_by_version([v.pk for v in versions])
    seen.look_up({instances.engine_name(row): (vid, row.container_id) for vid, group in rows.items()
                  for row in group.values() if row.container_id})
    by_version = seen.by_version()
    plans = []
    for version in versions:
        try:
            if not version.is_live:
                deploy.remove(version.pk)
                seen.replace_version(version.pk, {})
                continue
            plan = _plan(version, by_version.get(version.pk, []), rows[version.pk], runtime)
        except RuntimeFailure:
            log.exception("reconciling %s failed", version)
            continue
        if plan is not None:
            seen.replace_version(version.pk, plan.by_name)
            plan.due = _due_probes(plan, timezone.now(), fleet=True)
            plans.append(plan)
    for item in _probe_all(runtime, plans):
        seen.refresh(item)  # a failed probe: has it exited? the next pass replaces it
    changed = any([_finish(plan) for plan in plans])
    if seen.fresh:
        _remove_orphans(runtime, by_version, {v.pk for v in versions})
    if changed:
        deploy.sync_router()
    _resume_stalled()
    _purge_now_and_then()


def converge(version_id: int, wait: bool = False) -> datetime | None:
    """Converge one version now; returns when to look again (None: nothing pending)."""
    runtime = runtimes.get_runtime()
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        deploy.remove(version_id)
        return None
    rows = {row.ordinal: row for row in version.instances.all()}
    plan = _plan(version, runtime.observe(specs.version_selector(version_id)), rows, runtime)
    if plan is None:
        return None
    if wait:
        _wait_started(version, runtime, plan)
        fresh = [row for row in plan.rows.values() if not row.ready]
        plan.changed |= _wait_ready(version, runtime, fresh, plan.by_name)
    plan.due = _due_probes(plan, timezone.now(), fleet=False)
    _probe_all(runtime, [plan])
    if _finish(plan):
        deploy.sync_router()
    return _next_look(plan)


def _rows_by_version(version_ids: list[int]) -> dict[int, dict[int, Instance]]:
    rows: dict[int, dict[int, Instance]] = defaultdict(dict)
    for row in Instance.objects.filter(version_id__in=version_ids):
        rows[row.version_id][row.ordinal] = row
    return rows


def _plan(version: Version, observed: list[Observed], rows: dict[int, Instance],
          runtime: Runtime) -> Plan | None:
    """Start missing instances and remove extra ones; None while a deploy owns it."""
    target = target_count(version)
    if target is None:
        return None
    by_name = {item.name: item for item in observed}
    wanted = {specs.container_name(Instance.name_for(version, n)): n for n in range(target)}
    plan = Plan(version, rows, by_name)
    plan.changed = _remove_extra(version, runtime, observed, rows, wanted, target)
    for name, ordinal in wanted.items():
        row, item, started = _ensure_one(version, runtime, rows.get(ordinal), by_name.get(name), ordinal)
        rows[ordinal], by_name[name] = row, item
        plan.changed |= started
    plan.by_name = {name: by_name[name] for name in wanted}  # the extra ones are gone
    return plan


def _remove_orphans(runtime: Runtime, by_version, known: set[int]) -> None:
    """Containers of no version this database knows (or with no version label at all)."""
    for vid, items in by_version.items():
        if vid not in known:
            for item in items:
                runtime.remove(instances.observed_ref(runtime, item))


def _remove_extra(version, runtime, observed, rows, wanted, target) -> bool:
    changed = False
    for item in observed:
        if item.name not in wanted:
            ordinal = specs.ordinal_of(item.labels)
            row = rows.pop(ordinal, None) if ordinal is not None else None
            instances.stop(runtime, version, instances.observed_ref(runtime, item), row)
            changed = True
    for ordinal in [n for n in rows if n >= target]:
        row = rows.pop(ordinal)
        instances.stop(runtime, version, instances.engine_ref(runtime, row), row)
        changed = True
    return changed


def _ensure_one(version, runtime, row, item, ordinal):
    """(row, observed, started_new): replace a dead or vanished instance, adopt a
    container whose row a killed task never wrote."""
    failures = 0
    if item is not None and item.dead:
        why, detail = instances.describe_exit(runtime, version, item)
        version.record("instance:replaced", reason("instance.replaced", instance=item.name,
                                                   why=why.as_param()), detail, level="warning")
        failures = (row.health_failures if row else 0) + 1
        instances.stop(runtime, version, instances.observed_ref(runtime, item), row)
        row = item = None
    elif item is None and row is not None and row.container_id:
        version.record("instance:replaced", reason("instance.vanished", instance=row.name),
                       level="warning")
        failures = row.health_failures + 1
    if item is not None and row is not None and not instances.pending(row):
        return row, item, False
    new_row, new_item = instances.start(runtime, version, ordinal)  # or look at a pending one
    if failures:  # a crash loop counts against health, so the version can turn abnormal
        new_row.health_failures = failures
        new_row.save(update_fields=["health_failures"])
    return new_row, new_item, item is None


def _wait_started(version: Version, runtime: Runtime, plan: Plan) -> None:
    """The activator holds a request anyway: look again at instances the engine has not
    started yet until they run (the engine's start timeout ends one that never does)."""
    while waiting := [row for row in plan.rows.values() if instances.pending(row)]:
        time.sleep(START_POLL_SECONDS)
        for row in waiting:
            row, item = instances.start(runtime, version, row.ordinal)
            plan.rows[row.ordinal], plan.by_name[instances.engine_name(row)] = row, item
            plan.changed = True


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


def _due_probes(plan: Plan, now: datetime, fleet: bool) -> list[tuple[Instance, Observed]]:
    """Running instances whose probe can change something now. In the fleet pass a
    healthy instance waits its turn (every HEALTH_PROBE_INTERVAL_SECONDS, staggered)."""
    due = []
    for row in plan.rows.values():
        item = plan.by_name.get(instances.engine_name(row))
        if item is None or not item.running:
            continue
        if not row.ready and now < deploy.health_start(plan.version, row):
            continue
        if (fleet and row.ready and not row.health_failures
                and not probes.came(row.pk, settings.HEALTH_PROBE_INTERVAL_SECONDS)):
            continue
        due.append((row, item))
    return due


def _probe_all(runtime: Runtime, plans: list[Plan]) -> list[Observed]:
    """Probe every due instance of the pass in one pool; results land on the plans.
    Returns the instances whose probe failed."""
    work = [(plan, row, item) for plan in plans for row, item in plan.due]
    if not work:
        return []
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS

    def probe(job) -> ProbeResult:
        plan, _row, item = job
        return runtime.probe(item, plan.version.port, timeout)

    results = list(_probe_pool(os.getpid()).map(probe, work))
    failed = []
    for (plan, row, item), result in zip(work, results, strict=True):
        probes.took(row.pk)
        plan.changed |= _apply_probe(plan.version, row, result, timeout)
        if not result.ok:
            failed.append(item)
    return failed


@functools.cache
def _probe_pool(pid: int) -> ThreadPoolExecutor:
    """One pool per process, kept between passes: starting its threads anew on every
    pass cost more than the probes themselves at 200 instances. Keyed by pid because a
    forked worker inherits this cache but not the parent's threads."""
    return ThreadPoolExecutor(max_workers=PROBE_THREADS, thread_name_prefix=f"probe-{pid}")


def _apply_probe(version: Version, row: Instance, result: ProbeResult, timeout: float) -> bool:
    """Record one probe's outcome; True when the instance's readiness changed."""
    was_ready = row.ready
    if result.ok:
        if not row.ready or row.health_failures or row.status != InstanceStatus.RUNNING:
            _mark(row, True)
        return not was_ready
    row.health_failures += 1
    if row.health_failures >= settings.HEALTH_CHECK_RETRIES and row.ready:
        row.ready = False
        why = health.describe_failure(result, version.port, timeout)
        version.record("instance:unhealthy", reason("instance.unhealthy", instance=row.name,
                                                    failures=row.health_failures,
                                                    why=why.as_param()), level="warning")
    row.save(update_fields=["health_failures", "ready"])
    return row.ready != was_ready


def _finish(plan: Plan) -> bool:
    _update_status(plan.version, list(plan.rows.values()))
    return plan.changed


def _next_look(plan: Plan) -> datetime | None:
    """When converge should look again: an instance still waiting for its delay or its
    first healthy answer within the health window; None when nothing is pending."""
    now = timezone.now()
    window = timedelta(seconds=health.attempts() * health.attempt_window())
    looks = []
    for row in plan.rows.values():
        item = plan.by_name.get(instances.engine_name(row))
        if instances.pending(row):  # the engine is still starting it
            looks.append(deploy.look_again(row.created, deploy.MIN_START_RECHECK_SECONDS))
        if row.ready or item is None or not item.running:
            continue
        begins = deploy.health_start(plan.version, row)
        if now < begins:
            looks.append(begins)
        elif now < begins + window:
            looks.append(now + timedelta(seconds=RECHECK_SECONDS))
    return min(looks) if looks else None


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
                               reason("health.abnormal", retries=retries),
                               detail="\n".join(f"{r.name}: {r.health_failures} failures"
                                                for r in rows))
        elif version.status == VersionStatus.ABNORMAL and any(r.ready for r in rows):
            version.set_status(VersionStatus.NORMAL, reason("health.recovered"))
    except TransitionError:
        pass  # changed meanwhile (deleted, suspended); the next pass sees it


def _resume_stalled() -> None:
    """A deploy whose worker died (its lease ran out) or whose message Redis lost (it
    never took one) is started again; the event restarts the stall clock, so a version
    is queued at most once per DEPLOY_STALL_SECONDS."""
    for version in lease.stalled():
        # Due now: the overdue clock restarts, so one lost message is resent once.
        Version.objects.filter(pk=version.pk).update(next_check_at=timezone.now())
        version.record("deploy:resume", reason("deploy.resumed"))
        enqueue.deploy(version.pk)


def _purge_now_and_then() -> None:
    global _last_purge
    if time.monotonic() - _last_purge >= PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        logs.purge_expired()
