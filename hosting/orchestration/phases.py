"""Where an instance start spent its time: recorded phases, their durations, the events.

A phase is {name, began, ended, detail}, times in Unix seconds (the activator, workers
and web are separate processes; only the wall clock is shared). The phases of one start
follow each other without gaps, so they add up to the whole start:

resolve  tag → digest (deploys only; once per version)
pull     the image onto the host; detail: bytes when the engine says, cached
wake     cold starts: the request's arrival (the router's X-Request-Start, else the
         activator's clock) → the engine's create call
         (detail: how long the wake call itself took)
create   the engine's create call → the container exists (the engine's Created time)
start    → the process runs (the engine's StartedAt)
delay    InitialDelaySeconds
health   → the first successful health check (the instance turns ready)
proxy    cold starts: ready → the first byte sent back, as the activator saw it

Orchestration calls one function per boundary: `deploy_step` (resolve, pull),
`started` (create, start), `ready` (delay, health); the activator calls `cold_start`
(wake, proxy) after the response went out. Every call is idempotent.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.db import transaction

from hosting.models import Instance, InstanceStart, Version
from hosting.reasons import Reason, reason
from hosting.runtimes.base import Observed
from hosting.status import VersionStatus

log = logging.getLogger(__name__)
DEPLOYING = {VersionStatus.CREATING, VersionStatus.ADJUSTING}
# A start the engine reports this long before we asked for it is an adopted container
# (a killed worker made it): we did not see it start, so its phases are unknown.
ADOPTED_SECONDS = 1.0
# The activator's clock reading of a request arrival and the worker's of the create call
# may differ by this much (two processes) and still be the same cold start.
CLOCK_SLACK_SECONDS = 0.5


# Pure helpers --------------------------------------------------------------------------
def phase(name: str, began: float, ended: float, **detail) -> dict:
    return {"name": name, "began": round(began, 4), "ended": round(max(began, ended), 4),
            "detail": detail}


def durations(phases: list[dict]) -> dict[str, float]:
    """{name: seconds}, in the order recorded."""
    return {p["name"]: round(p["ended"] - p["began"], 4) for p in phases}


def total(phases: list[dict]) -> float:
    """From the first phase's start to the last one's end."""
    if not phases:
        return 0.0
    return round(max(p["ended"] for p in phases) - min(p["began"] for p in phases), 4)


def longest(phases: list[dict]) -> tuple[str, float] | None:
    spans = durations(phases)
    return max(spans.items(), key=lambda item: item[1]) if spans else None


def upsert(phases: list[dict], new: dict) -> list[dict]:
    """The list with `new` replacing a phase of the same name, ordered by start."""
    kept = [p for p in phases if p["name"] != new["name"]]
    return sorted([*kept, new], key=lambda p: p["began"])


def _stamp(value: datetime | None) -> float | None:
    return value.timestamp() if value else None


# Deploy: resolve and pull, once per version ---------------------------------------------
def deploy_step(version: Version, name: str, began: float, **detail) -> None:
    """Record a version-level phase (resolve, pull) that ended now."""
    version.deploy_phases = upsert(list(version.deploy_phases or []),
                                   phase(name, began, time.time(), **detail))
    Version.objects.filter(pk=version.pk).update(deploy_phases=version.deploy_phases)


def _this_deploy(version: Version) -> list[dict]:
    """The version's image phases from the deploy under way (a restore after a recharge
    resolves nothing, so the original deploy's phases are not its own)."""
    since = version.status_changed.timestamp() - CLOCK_SLACK_SECONDS
    return [p for p in version.deploy_phases or [] if p["began"] >= since]


# Create and start ------------------------------------------------------------------------
def started(version: Version, instance: Instance, observed: Observed, began: float,
            ended: float) -> InstanceStart | None:
    """A new container for `instance`: create and start phases from the engine's own
    created and started times, bounded by the call that made it."""
    if not observed.id:
        return None
    engine_start = _stamp(observed.started_at)
    if engine_start is not None and engine_start < began - ADOPTED_SECONDS:
        return None
    created = _within(_stamp(observed.created_at), began, ended)
    running = _within(engine_start, created, ended)  # InitialDelaySeconds counts from here
    deploying = version.status in DEPLOYING
    phases = [*(_this_deploy(version) if deploying else []),
              phase("create", began, created), phase("start", created, running)]
    start, _ = InstanceStart.objects.get_or_create(
        container_id=observed.id,
        defaults={"version": version, "ordinal": instance.ordinal, "instance_name": instance.name,
                  "kind": InstanceStart.Kind.DEPLOY if deploying else InstanceStart.Kind.SCALE,
                  "started_at": datetime.fromtimestamp(began, UTC), "phases": phases})
    return start


def _within(stamp: float | None, low: float, high: float) -> float:
    """An engine time bounded by our own readings (its clock may be off by a little);
    unknown means the whole span went to the earlier phase."""
    return high if stamp is None else min(max(stamp, low), high)


# Delay and health -------------------------------------------------------------------------
def ready(version: Version, instance: Instance) -> None:
    """The instance passed its first health check: close its start with delay and
    health, and say where the time went (`instance.phases`). Call before `ready` is
    saved, so whoever sees the instance ready also sees its phases."""
    try:
        with transaction.atomic():
            start = (InstanceStart.objects.select_for_update()
                     .filter(container_id=instance.container_id).first())
            if start is None or any(p["name"] == "health" for p in start.phases):
                return
            _close(start, version.initial_delay_seconds, time.time())
            version.record("instance.phases", _reason("instance.phases", start))
    except Exception:  # the timeline is an observation: it never fails a deploy
        log.exception("recording the phases of %s failed", instance.name)


def _close(start: InstanceStart, delay_seconds: int, now: float) -> None:
    running = max((p["ended"] for p in start.phases), default=now)
    phases = list(start.phases)
    health_began = running
    if delay_seconds:
        health_began = min(running + delay_seconds, now)
        phases.append(phase("delay", running, health_began, seconds=delay_seconds))
    phases.append(phase("health", health_began, now))
    start.phases = phases
    start.save(update_fields=["phases"])


# Cold start: the activator's view ------------------------------------------------------------
def cold_start(version_id: int, arrived: float, woke: float | None, first_byte: float,
               status: int | None = None) -> InstanceStart | None:
    """The request that arrived at `arrived` woke version `version_id` and got its first
    byte at `first_byte`: make the start it waited for a cold start with wake and proxy
    phases, and record `instance.cold_start`. Only the first report counts."""
    since = datetime.fromtimestamp(arrived - CLOCK_SLACK_SECONDS, UTC)
    with transaction.atomic():
        start = (InstanceStart.objects.select_for_update()
                 .filter(version_id=version_id, started_at__gte=since)
                 .order_by("started_at", "id").first())
        if start is None or any(p["name"] == "proxy" for p in start.phases):
            return None
        _add_cold_phases(start, arrived, woke, first_byte, status)
        start.version.record("instance.cold_start", _reason(
            "instance.cold_start", start, first_byte=round(first_byte - arrived, 4)))
    return start


def _add_cold_phases(start: InstanceStart, arrived: float, woke: float | None,
                     first_byte: float, status: int | None) -> None:
    own = [p for p in start.phases if p["name"] not in {"resolve", "pull"}]
    create_began = min((p["began"] for p in own), default=arrived)
    ready_at = max((p["ended"] for p in own), default=arrived)
    wake_call = round(woke - arrived, 4) if woke is not None else None
    start.phases = [phase("wake", arrived, max(arrived, create_began), call_seconds=wake_call),
                    *own, phase("proxy", ready_at, first_byte, status=status)]
    start.kind = InstanceStart.Kind.COLD
    start.save(update_fields=["phases", "kind"])


def _reason(code: str, start: InstanceStart, **extra) -> Reason:
    """The event: its text's numbers, and every phase's seconds for scripts (a list, in
    order: PostgreSQL's jsonb keeps no key order, so a mapping would come back sorted)."""
    name, seconds = longest(start.phases) or ("", 0.0)
    phases = [{"name": phase, "seconds": took} for phase, took in durations(start.phases).items()]
    return reason(code, instance=start.instance_name, kind=start.kind, total=total(start.phases),
                  phase=name, seconds=seconds, phases=phases, **extra)


def latest(instance: Instance) -> InstanceStart | None:
    """The start of the instance's current container."""
    if not instance.container_id:
        return None
    return InstanceStart.objects.filter(container_id=instance.container_id).first()
