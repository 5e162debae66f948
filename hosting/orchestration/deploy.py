"""The deploy pipeline: ordered, idempotent, level-triggered phases from a created
version to `normal`.

Knative style: each phase compares what the database wants with what exists, does only
the missing part and answers "done" (None) or "not ready, look again at T" (a datetime).
Nothing waits inside a worker: `deploy()` runs the phases as far as they go now, records
the phase and `Version.next_check_at` on the row and returns T; the task schedules itself
for T (hosting/tasks.py) and the reconcile pass restarts any version whose T is overdue
(lease.stalled), so a lost message only delays. A task that runs twice, early, or is
killed halfway converges to the same result: a message that arrives before the row's T
returns at once, and the deploy lease fences off a concurrent duplicate.

resolve  tag → digest (stored once; a re-pushed tag never changes the version)
pull     skipped when the engine already has the digest
start    instances up to initial_instances() (min 0 and traffic 0: none); an instance the
         engine has not started yet (Kubernetes: a pod pending) is "look again soon"
delay    InitialDelaySeconds after the instances started: "look again" when it ends
health   one GET / per unready instance per tick; failing beyond the retry window fails
ready    status normal (open_full: all traffic), router sync

A recharged tenant's versions (ADJUSTING, hosting/domain/billing.py) go through the same
phases: the digest is already resolved, so they restart, health-check and turn normal.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hosting import runtimes
from hosting.domain import scaling, traffic
from hosting.models import Instance, TrafficPolicy, Version
from hosting.orchestration import health, images, instances, lease, phases
from hosting.reasons import Reason, reason
from hosting.runtimes import specs
from hosting.runtimes.base import ImagePullFailed, Runtime, RuntimeFailure
from hosting.status import InstanceStatus, TransitionError, VersionStatus

log = logging.getLogger(__name__)
DEPLOYABLE = {VersionStatus.CREATING, VersionStatus.ADJUSTING}
# A message may fire a little before the row's time (clocks, timer granularity).
EARLY_TOLERANCE = timedelta(milliseconds=100)
# Health re-checks and looks at a start under way: quick at first, slower the longer it
# takes, never slower than MAX (look_again).
MIN_RECHECK_SECONDS, MAX_RECHECK_SECONDS = 0.05, 1.0
# A start under way is looked at less eagerly: no pod runs within 50 ms, and each look
# is an API listing that competes for the API server with the pod's own start.
MIN_START_RECHECK_SECONDS = 0.25
Later = datetime | None  # what a phase answers: None is "done"


class DeployFailure(Exception):
    """Why a deploy failed: a short machine reason, the reason as code and parameters
    (shown in the reader's language) and the detailed error log (raw, as data)."""

    def __init__(self, reason: str, why: Reason, detail: str = ""):
        super().__init__(why.text("en"))
        self.reason, self.why = reason, why
        self.message = why.text("en")
        self.detail = detail or self.message


class Deleted(Exception):
    """The version was deleted while deploying."""


def deploy(version_id: int) -> datetime | None:
    """Take the deploy as far as it goes now; returns when to look again (None: the
    deploy finished, failed, or another run owns this moment)."""
    runtime = runtimes.get_runtime()
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        remove(version_id)
        return None
    if version.status not in DEPLOYABLE:
        return None  # already deployed or failed: reconcile owns it now
    if version.next_check_at and version.next_check_at > timezone.now() + EARLY_TOLERANCE:
        return None  # early or duplicate: the message scheduled for that time comes then
    if not lease.acquire(version_id):  # a duplicate delivery while the first run is alive
        log.info("%s: another deploy holds the lease; nothing to do", version)
        return None
    try:
        return _run(version_id, version, runtime)
    finally:
        lease.release(version_id)


def _run(version_id: int, version: Version, runtime: Runtime) -> datetime | None:
    try:
        for phase in _remaining(version):
            _enter(version, phase.__name__)
            later = phase(version, runtime)
            if later is not None:
                Version.objects.filter(pk=version_id).update(next_check_at=later)
                return later
            version = _reload(version_id)
    except Deleted:
        remove(version_id)
    except DeployFailure as failure:
        _fail(version_id, runtime, failure)
    except ImagePullFailed as exc:  # the Kubernetes backend: the node's pull failed
        _fail(version_id, runtime, DeployFailure(exc.reason, _image_reason(exc.reason, version),
                                                 str(exc)))
    except RuntimeFailure as exc:
        _fail(version_id, runtime, DeployFailure("engine", reason("failure.engine", error=str(exc))))
    else:
        log.info("deployed %s", version)
    return None


def _remaining(version: Version) -> list[Callable[[Version, Runtime], Later]]:
    """The phases from the one the row records on: the earlier ones are done (a run
    killed inside a phase runs that phase again, which is idempotent)."""
    names = [phase.__name__ for phase in PHASES]
    start = names.index(version.deploy_phase) if version.deploy_phase in names else 0
    return PHASES[start:]


def _enter(version: Version, phase: str) -> None:
    if version.deploy_phase != phase:
        Version.objects.filter(pk=version.pk).update(deploy_phase=phase)
        version.deploy_phase = phase


def _reload(version_id: int) -> Version:
    lease.keep(version_id)
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live or version.status not in DEPLOYABLE | {VersionStatus.NORMAL}:
        raise Deleted()
    return version


# Phases -----------------------------------------------------------------------------
def resolve_image(version: Version, runtime: Runtime) -> Later:
    if version.image_digest:
        return None
    repository = version.service.repository
    began = time.time()
    try:
        digest = images.resolve_digest(repository, version.image_tag)
    except images.ImageProblem as exc:
        raise DeployFailure(exc.reason, _image_reason(exc.reason, version), str(exc)) from exc
    updated = Version.objects.filter(pk=version.pk, image_digest="").update(image_digest=digest)
    version.image_digest = digest if updated else Version.objects.get(pk=version.pk).image_digest
    phases.deploy_step(version, "resolve", began, tag=version.image_tag)
    version.record("deploy:resolve", reason("deploy.resolved", tag=version.image_tag,
                                            digest=version.image_digest))
    return None


def pull_image(version: Version, runtime: Runtime) -> Later:
    ref = version.image_ref
    if runtime.pulls_on_start:
        version.record("deploy:pull", reason("deploy.pulled_by_nodes"))
        return None
    if runtime.has_image(ref):
        phases.deploy_step(version, "pull", time.time(), cached=True)
        version.record("deploy:pull", reason("deploy.image_present"))
        return None
    began, wall = time.monotonic(), time.time()
    try:
        lease.holding(version.pk, runtime.pull, ref, images.pull_auth(version.service.repository))
    except ImagePullFailed as exc:
        raise DeployFailure(exc.reason, _image_reason(exc.reason, version), str(exc)) from exc
    phases.deploy_step(version, "pull", wall, cached=False, bytes=runtime.image_size(ref))
    version.record("deploy:pull", reason("deploy.pulled", seconds=time.monotonic() - began))
    return None


def start_instances(version: Version, runtime: Runtime) -> Later:
    """Each instance up to the count started; one the engine has not started yet (a pod
    being scheduled or pulling its image) means "look again soon", never a wait here."""
    count = scaling.initial_instances(version)
    if version.desired_instances != count:
        Version.objects.filter(pk=version.pk).update(desired_instances=count)
        version.desired_instances = count
    if count == 0:
        version.record("deploy:start", reason("deploy.no_instance"))
        return None
    before = {row.ordinal: (row.container_id, row.status) for row in version.instances.all()}
    waiting = []
    for ordinal in range(count):
        instance, observed = instances.start(runtime, version, ordinal)
        _check_not_deleted(version.pk)
        if observed.starting:
            waiting.append(instance.created)
        elif before.get(ordinal) != (instance.container_id, instance.status):  # once each
            version.record("deploy:start", reason("deploy.started", instance=instance.name,
                                                  port=version.port, host=observed.host_ip or "127.0.0.1",
                                                  host_port=observed.host_port))
    return look_again(min(waiting), MIN_START_RECHECK_SECONDS) if waiting else None


def wait_initial_delay(version: Version, runtime: Runtime) -> Later:
    """Look again once InitialDelaySeconds have passed since the oldest instance started."""
    if not version.initial_delay_seconds or version.desired_instances == 0:
        return None
    oldest = version.instances.order_by("started").values_list("started", flat=True).first()
    ends = (oldest or timezone.now()) + timedelta(seconds=version.initial_delay_seconds)
    if ends <= timezone.now():
        return None
    if not version.next_check_at:  # the first look: say so once
        version.record("deploy:delay", reason("deploy.waiting",
                                              seconds=version.initial_delay_seconds))
    return ends


def check_health(version: Version, runtime: Runtime) -> Later:
    """One probe per unready instance; look again soon for those still within their
    window (1 + HEALTH_CHECK_RETRIES attempts), fail the deploy for one beyond it."""
    pending: list[datetime] = []
    for instance in version.instances.filter(ordinal__lt=version.desired_instances, ready=False):
        later = _check_one(version, runtime, instance)
        if later is not None:
            pending.append(later)
    return min(pending) if pending else None


def mark_ready(version: Version, runtime: Runtime) -> Later:
    if version.status == VersionStatus.NORMAL:
        return None
    count = version.desired_instances
    # ADJUSTING is a restore after a recharge: the service's split was kept, so the
    # open-100% policy (a deploy-time choice) does not apply again.
    restoring = version.status == VersionStatus.ADJUSTING
    done = reason("deploy.restored" if restoring else "deploy.done", count=count)
    try:
        with transaction.atomic():
            version.set_status(VersionStatus.NORMAL, done, next_check_at=None, deploy_phase="")
            if version.traffic_policy == TrafficPolicy.OPEN_FULL and not restoring:
                traffic.open_full(version)
            # The router reads these rows on this connection before they commit, so by
            # the time anyone can see "normal" the version is already routable.
            sync_router()
    except TransitionError:
        pass  # deleted or suspended meanwhile; the next reload says which
    return None


PHASES: list[Callable[[Version, Runtime], Later]] = [
    resolve_image, pull_image, start_instances, wait_initial_delay, check_health, mark_ready,
]


# Health, in detail ------------------------------------------------------------------
def _check_one(version: Version, runtime: Runtime, instance: Instance) -> Later:
    name = instances.engine_name(instance)
    observed = runtime.get(instances.engine_ref(runtime, instance))
    if observed is None:
        raise DeployFailure("vanished", reason("failure.vanished", container=name))
    if observed.dead:
        why, detail = instances.describe_exit(runtime, version, observed)
        raise DeployFailure("oom" if observed.oom_killed else "exited", why, detail)
    began = health_start(version, instance)
    result = runtime.probe(observed, version.port, health.attempt_window())
    elapsed = (timezone.now() - began).total_seconds()
    if result.ok:
        phases.ready(version, instance)
        instance.ready, instance.status, instance.health_failures = True, InstanceStatus.RUNNING, 0
        instance.save(update_fields=["ready", "status", "health_failures"])
        version.record("deploy:health", reason("deploy.healthy", instance=name, status=result.status,
                                               seconds=max(elapsed, 0)))
        return None
    if elapsed >= health.attempts() * health.attempt_window():
        raise _health_failure(version, runtime, observed, result, health.attempts())
    return look_again(began)


def look_again(since: datetime, least: float = MIN_RECHECK_SECONDS) -> datetime:
    """When to look again at what has been awaited since `since` (a health check, a
    start): quickly at first (a fast app is ready in milliseconds, `least`), then less
    often the longer it takes, never later than MAX_RECHECK_SECONDS from now."""
    elapsed = max((timezone.now() - since).total_seconds(), 0)
    wait = min(MAX_RECHECK_SECONDS, max(least, elapsed / 4))
    return timezone.now() + timedelta(seconds=wait)


def health_start(version: Version, instance: Instance) -> datetime:
    """When an instance's health checks begin: its start plus InitialDelaySeconds."""
    started = instance.started or instance.created
    return started + timedelta(seconds=version.initial_delay_seconds)


def _health_failure(version, runtime, observed, result, attempts) -> DeployFailure:
    name, ref = observed.name, instances.observed_ref(runtime, observed)
    window = health.attempt_window()
    why = health.describe_failure(result, version.port, window)
    lines = [f"Instance: {name}",
             f"Checked {attempts} times (1 + {attempts - 1} retries), {window:g} s each: "
             f"HTTP GET / on port {version.port}."]
    if result.reason in {"refused", "error", "timeout"}:
        ports = runtime.listening_ports(ref)
        others = [p for p in ports or [] if p != version.port]
        if others:
            lines.append(f"The app listens on port {', '.join(map(str, others))} instead. "
                         f"Create a new version with port {others[0]}, or make the app listen "
                         f"on {version.port}.")
            why = reason("failure.wrong_port", port=version.port, ports=others)
    tail = [f"{line.stream}: {line.text}" for line in runtime.logs(ref, tail=instances.LAST_LINES)]
    lines += [f"Last {instances.LAST_LINES} log lines:", *tail] if tail else []
    code = {"refused": "no_listener", "timeout": "timeout", "http_5xx": "http_5xx"}.get(
        result.reason, "unhealthy")
    return DeployFailure(code, why, "\n".join(lines))


# Failure and removal ----------------------------------------------------------------
def _fail(version_id: int, runtime: Runtime, failure: DeployFailure) -> None:
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        remove(version_id)
        return
    try:
        version.set_status(VersionStatus.DEPLOY_FAILED, failure.why, detail=failure.detail,
                           desired_instances=0, next_check_at=None, deploy_phase="")
    except TransitionError:
        log.warning("%s: deploy failed (%s) but status is %s", version, failure, version.status)
        return
    _remove_instances(version, runtime)
    sync_router()


def remove(version_id: int) -> None:
    """Remove every instance of the version (logs are kept); a deleting version becomes
    deleted. Safe to run any number of times, also for versions that no longer exist."""
    runtime = runtimes.get_runtime()
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is not None:
        _remove_instances(version, runtime)
    for observed in runtime.observe(specs.version_selector(version_id)):
        runtime.remove(instances.observed_ref(runtime, observed))
    runtime.release(version_id)
    if version is not None and version.status == VersionStatus.DELETING:
        version.set_status(VersionStatus.DELETED, reason("version.deleted"))
    sync_router()


def _remove_instances(version: Version, runtime: Runtime) -> None:
    for instance in version.instances.all():
        instances.stop(runtime, version, instances.engine_ref(runtime, instance), instance)


def _check_not_deleted(version_id: int) -> None:
    lease.keep(version_id)  # called between instances while starting them
    if not Version.objects.filter(pk=version_id, deleted_at__isnull=True).exists():
        raise Deleted()


def _image_reason(problem: str, version: Version) -> Reason:
    repository, tag = str(version.service.repository), version.image_tag
    if problem == "not_found":
        return reason("failure.image_not_found", tag=tag, repository=repository)
    if problem == "denied":
        return reason("failure.image_denied", repository=repository)
    if problem == "unavailable":
        return reason("failure.registry_unavailable")
    return reason("failure.image_pull", repository=repository, tag=tag)


def sync_router() -> None:
    """Apply readiness changes to the router; a router problem never fails a deploy."""
    from hosting import router

    try:
        router.sync()
    except Exception:
        log.exception("router sync failed")
