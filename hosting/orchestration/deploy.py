"""The deploy pipeline: ordered, idempotent phases from a created version to `normal`.

Knative style: each phase compares what the database wants with what exists and does
only the missing part, so a task that runs twice, or is killed halfway and run again,
converges to the same result. The version row is re-read between phases: a version
deleted mid-deploy stops the pipeline and leaves no container behind.

resolve  tag → digest (stored once; a re-pushed tag never changes the version)
pull     skipped when the engine already has the digest
start    instances up to initial_instances() (min 0 and traffic 0: none)
delay    InitialDelaySeconds after the instances started
health   GET / on the service port until a non-5xx answer, with retries
ready    status normal (open_full: all traffic), router sync

A recharged tenant's versions (ADJUSTING, hosting/domain/billing.py) go through the same
phases: the digest is already resolved, so they restart, health-check and turn normal.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from hosting import runtimes
from hosting.domain import scaling, traffic
from hosting.models import TrafficPolicy, Version
from hosting.orchestration import health, images, instances, lease
from hosting.runtimes import specs
from hosting.runtimes.base import ImagePullFailed, Runtime, RuntimeFailure
from hosting.status import InstanceStatus, TransitionError, VersionStatus

log = logging.getLogger(__name__)
DEPLOYABLE = {VersionStatus.CREATING, VersionStatus.ADJUSTING}
STATE_CHECK_SECONDS = 0.2


class DeployFailure(Exception):
    """Why a deploy failed: a short message and the detailed error log."""

    def __init__(self, reason: str, message: str, detail: str = ""):
        super().__init__(message)
        self.reason, self.message, self.detail = reason, message, detail or message


class Deleted(Exception):
    """The version was deleted while deploying."""


def deploy(version_id: int) -> None:
    runtime = runtimes.get_runtime()
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        remove(version_id)
        return
    if version.status not in DEPLOYABLE:
        return  # already deployed or failed: reconcile owns it now
    if not lease.acquire(version_id):  # a duplicate delivery while the first run is alive
        log.info("%s: another deploy holds the lease; nothing to do", version)
        return
    try:
        _run(version_id, version, runtime)
    finally:
        lease.release(version_id)


def _run(version_id: int, version: Version, runtime: Runtime) -> None:
    started = time.monotonic()
    try:
        for phase in PHASES:
            phase(version, runtime)
            version = _reload(version_id)
    except Deleted:
        remove(version_id)
    except DeployFailure as failure:
        _fail(version_id, runtime, failure)
    except ImagePullFailed as exc:  # the Kubernetes backend: the node's pull failed
        _fail(version_id, runtime, DeployFailure(exc.reason, _image_message(exc.reason, version),
                                                 str(exc)))
    except RuntimeFailure as exc:
        _fail(version_id, runtime, DeployFailure("engine", str(exc)))
    else:
        log.info("deployed %s in %.2fs", version, time.monotonic() - started)


def _reload(version_id: int) -> Version:
    lease.keep(version_id)
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live or version.status not in DEPLOYABLE | {VersionStatus.NORMAL}:
        raise Deleted()
    return version


# Phases -----------------------------------------------------------------------------
def resolve_image(version: Version, runtime: Runtime) -> None:
    if version.image_digest:
        return
    repository = version.service.repository
    try:
        digest = images.resolve_digest(repository, version.image_tag)
    except images.ImageProblem as exc:
        raise DeployFailure(exc.reason, _image_message(exc.reason, version), str(exc)) from exc
    updated = Version.objects.filter(pk=version.pk, image_digest="").update(image_digest=digest)
    version.image_digest = digest if updated else Version.objects.get(pk=version.pk).image_digest
    version.record("deploy:resolve", f"Tag {version.image_tag} is {version.image_digest}.")


def pull_image(version: Version, runtime: Runtime) -> None:
    ref = version.image_ref
    if runtime.pulls_on_start:
        version.record("deploy:pull", "The nodes pull the image when its pods start.")
        return
    if runtime.has_image(ref):
        version.record("deploy:pull", "The image is already on the host; no pull needed.")
        return
    began = time.monotonic()
    try:
        lease.holding(version.pk, runtime.pull, ref, images.pull_auth(version.service.repository))
    except ImagePullFailed as exc:
        raise DeployFailure(exc.reason, _image_message(exc.reason, version), str(exc)) from exc
    version.record("deploy:pull", f"Image pulled in {time.monotonic() - began:.2f} s.")


def start_instances(version: Version, runtime: Runtime) -> None:
    count = scaling.initial_instances(version)
    if version.desired_instances != count:
        Version.objects.filter(pk=version.pk).update(desired_instances=count)
        version.desired_instances = count
    if count == 0:
        version.record("deploy:start", "No instance to start: minimum 0 with traffic kept at 0; "
                                       "the first request will start one.")
        return
    for ordinal in range(count):
        instance, observed = instances.start(runtime, version, ordinal)
        _check_not_deleted(version.pk)
        version.record("deploy:start", f"Instance {instance.name} started "
                                       f"(port {version.port} reachable on {observed.host_ip}:{observed.host_port}).")


def wait_initial_delay(version: Version, runtime: Runtime) -> None:
    if not version.initial_delay_seconds or version.desired_instances == 0:
        return
    oldest = version.instances.order_by("started").values_list("started", flat=True).first()
    begin = oldest or timezone.now()
    remaining = version.initial_delay_seconds - (timezone.now() - begin).total_seconds()
    if remaining > 0:
        version.record("deploy:delay", f"Waiting {version.initial_delay_seconds} s "
                                       "(InitialDelaySeconds) before health checks.")
    deadline = time.monotonic() + max(remaining, 0)
    while time.monotonic() < deadline:  # wake up early if the version is deleted
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        _check_not_deleted(version.pk)


def check_health(version: Version, runtime: Runtime) -> None:
    for instance in version.instances.filter(ordinal__lt=version.desired_instances):
        if instance.ready:
            continue
        result, attempts, began = _probe_until_ready(version, runtime, instance)
        instance.ready, instance.status, instance.health_failures = True, InstanceStatus.RUNNING, 0
        instance.save(update_fields=["ready", "status", "health_failures"])
        version.record("deploy:health", f"Instance {instance.name} answered HTTP {result.status} "
                                        f"after {time.monotonic() - began:.2f} s"
                                        f"{f' ({attempts} attempts)' if attempts > 1 else ''}.")


def mark_ready(version: Version, runtime: Runtime) -> None:
    if version.status == VersionStatus.NORMAL:
        return
    count = version.desired_instances
    # ADJUSTING is a restore after a recharge: the service's split was kept, so the
    # open-100% policy (a deploy-time choice) does not apply again.
    restoring = version.status == VersionStatus.ADJUSTING
    done = "Restored after the recharge" if restoring else "Deployed"
    try:
        with transaction.atomic():
            version.set_status(VersionStatus.NORMAL, f"{done}: {count} healthy instance"
                                                     f"{'' if count == 1 else 's'}.")
            if version.traffic_policy == TrafficPolicy.OPEN_FULL and not restoring:
                traffic.open_full(version)
            # The router reads these rows on this connection before they commit, so by
            # the time anyone can see "normal" the version is already routable.
            sync_router()
    except TransitionError:
        return  # deleted or suspended meanwhile; the next reload says which


PHASES: list[Callable[[Version, Runtime], None]] = [
    resolve_image, pull_image, start_instances, wait_initial_delay, check_health, mark_ready,
]


# Health, in detail ------------------------------------------------------------------
def _probe_until_ready(version: Version, runtime: Runtime, instance):
    name = instances.engine_name(instance)
    observed = runtime.get(name)
    if observed is None:
        raise DeployFailure("vanished", f"The container {name} disappeared while deploying.")
    state = {"dead": observed.dead, "checked": time.monotonic(), "observed": observed}

    def stop() -> bool:
        if time.monotonic() - state["checked"] >= STATE_CHECK_SECONDS:
            state["checked"] = time.monotonic()
            _check_not_deleted(version.pk)
            current = runtime.get(name)
            state["dead"] = current is None or current.dead
            state["observed"] = current or state["observed"]
        return state["dead"]

    began = time.monotonic()
    result, attempts = health.check_with_retries(
        lambda timeout: runtime.probe(state["observed"], version.port, timeout), stop)
    if result.ok:
        return result, attempts, began
    final = runtime.get(name)
    if final is None or final.dead:
        message, detail = instances.describe_exit(runtime, version, final or observed)
        raise DeployFailure("oom" if final and final.oom_killed else "exited", message, detail)
    raise _health_failure(version, runtime, name, result, attempts)


def _health_failure(version, runtime, name, result, attempts) -> DeployFailure:
    window = health.attempt_window()
    message = health.describe_failure(result, version.port, window)
    lines = [message, f"Instance: {name}",
             f"Checked {attempts} times (1 + {attempts - 1} retries), {window:g} s each: "
             f"HTTP GET / on port {version.port}."]
    if result.reason in {"refused", "error", "timeout"}:
        ports = runtime.listening_ports(name)
        others = [p for p in ports or [] if p != version.port]
        if others:
            lines.append(f"The app listens on port {', '.join(map(str, others))} instead. "
                         f"Create a new version with port {others[0]}, or make the app listen "
                         f"on {version.port}.")
            message = (f"Nothing is listening on port {version.port}; the app listens on "
                       f"{', '.join(map(str, others))}.")
    tail = [f"{line.stream}: {line.text}" for line in runtime.logs(name, tail=instances.LAST_LINES)]
    lines += [f"Last {instances.LAST_LINES} log lines:", *tail] if tail else []
    reason = {"refused": "no_listener", "timeout": "timeout", "http_5xx": "http_5xx"}.get(
        result.reason, "unhealthy")
    return DeployFailure(reason, message, "\n".join(lines))


# Failure and removal ----------------------------------------------------------------
def _fail(version_id: int, runtime: Runtime, failure: DeployFailure) -> None:
    version = Version.objects.filter(pk=version_id).select_related("service__tenant").first()
    if version is None or not version.is_live:
        remove(version_id)
        return
    try:
        version.set_status(VersionStatus.DEPLOY_FAILED, failure.message, detail=failure.detail,
                           desired_instances=0)
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
        runtime.remove(observed.name)
    runtime.release(version_id)
    if version is not None and version.status == VersionStatus.DELETING:
        version.set_status(VersionStatus.DELETED, "Instances removed; the version is deleted.")
    sync_router()


def _remove_instances(version: Version, runtime: Runtime) -> None:
    for instance in version.instances.all():
        instances.stop(runtime, version, instances.engine_name(instance), instance)


def _check_not_deleted(version_id: int) -> None:
    lease.keep(version_id)  # called every few tenths of a second while waiting or probing
    if not Version.objects.filter(pk=version_id, deleted_at__isnull=True).exists():
        raise Deleted()


def _image_message(reason: str, version: Version) -> str:
    repo = version.service.repository
    return {
        "not_found": f"Image not found: the tag {version.image_tag} does not exist in {repo}.",
        "denied": f"Registry denied access to {repo}.",
        "unavailable": "The image registry could not be reached.",
    }.get(reason, f"The image {repo}:{version.image_tag} could not be pulled.")


def sync_router() -> None:
    """Apply readiness changes to the router; a router problem never fails a deploy."""
    from hosting import router

    try:
        router.sync()
    except Exception:
        log.exception("router sync failed")
