"""The rollout state machine, driven by a beat tick (never by a sleeping task).

Each tick reads the Rollout row under a lock, takes one reading of the router's
counters, asks decide.py, acts (a new split, a rollback, nothing) and records what it did
as events of the new version. Nothing is kept in memory between ticks, so a worker
killed mid-rollout only delays the next step by one tick: whichever worker runs the
next tick carries on from the row.

A gradual version is picked up by the tick once its deploy made it normal (the deploy
pipeline needs no hook); the user's actions are in actions.py.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from hosting.domain import traffic
from hosting.models import Rollout, RolloutState, Service, TrafficPolicy, Version
from hosting.reasons import Reason, reason
from hosting.rollouts import counters
from hosting.rollouts.decide import Action, Decision, decide
from hosting.rollouts.models import ACTIVE
from hosting.rollouts.options import RolloutOptions, parse
from hosting.rollouts.split import rollback_target, step_split
from hosting.status import VersionStatus

log = logging.getLogger(__name__)


def tick_all() -> None:
    """One beat tick: start the new gradual versions, then judge every running step (and
    keep a paused one's reading current, so it resumes on the traffic after the pause)."""
    for version_id in pending_versions():
        _safely(start, version_id)
    for rollout_id in Rollout.objects.filter(state__in=ACTIVE).values_list("pk", flat=True):
        _safely(tick, rollout_id)


def _safely(function, object_id: int) -> None:
    try:
        function(object_id)
    except Exception:  # one broken rollout must not stop the others
        log.exception("rollout %s(%s) failed", function.__name__, object_id)


def pending_versions() -> list[int]:
    """Gradual versions that are deployed (normal) and have no rollout yet."""
    return list(Version.objects.live().filter(
        traffic_policy=TrafficPolicy.GRADUAL, status=VersionStatus.NORMAL, rollouts__isnull=True)
        .order_by("pk").values_list("pk", flat=True))


def options_of(rollout: Rollout) -> RolloutOptions:
    return RolloutOptions(**rollout.options)


# Starting -----------------------------------------------------------------------------
def start(version_id: int) -> Rollout | None:
    service_id = Version.objects.filter(pk=version_id).values_list("service_id", flat=True).first()
    if service_id is None:
        return None
    with transaction.atomic():
        # Locks in the order every rollout path takes: rollouts, service, versions.
        older = list(Rollout.objects.select_for_update().filter(service_id=service_id, state__in=ACTIVE))
        service = Service.objects.select_for_update().get(pk=service_id)
        version = Version.objects.select_for_update().get(pk=version_id)
        if version.rollouts.exists() or version.status != VersionStatus.NORMAL:
            return None
        for rollout in older:
            finish(rollout, RolloutState.CANCELLED, reason("rollout.superseded", name=version.name))
        # Checked when the version was created; a later change of the limits (settings)
        # must not stop its rollout.
        options = RolloutOptions(**version.rollout) if version.rollout else parse({})
        previous = {v.pk: v.traffic_percent for v in service.versions.live().exclude(pk=version.pk)
                    if v.traffic_percent > 0 and v.status == VersionStatus.NORMAL}
        rollout = Rollout.objects.create(service=service, version=version, options=options.as_dict(),
                                         previous_split={str(k): v for k, v in previous.items()})
        if not previous:
            apply_split(rollout, {version.pk: 100})
            finish(rollout, RolloutState.COMPLETED, reason("rollout.nothing_to_compare"))
            return rollout
        apply_split(rollout, step_split(previous, version.pk, rollout.percent))
        version.record("rollout:started", reason(
            "rollout.started", n=len(options.steps), pct=rollout.percent,
            steps=[f"{s}%" for s in options.steps], hold=options.hold_seconds))
    return rollout


# Ticking ------------------------------------------------------------------------------
def tick(rollout_id: int) -> str | None:
    """Judge the current step once; returns the action taken (None if nothing ran)."""
    with transaction.atomic():
        rollout = (Rollout.objects.select_for_update().select_related("version")
                   .filter(pk=rollout_id, state__in=ACTIVE).first())
        if rollout is None:
            return None
        if rollout.state == RolloutState.PAUSED:
            _follow_while_paused(rollout)
            return None
        version = rollout.version
        if not version.is_live or version.status != VersionStatus.NORMAL:
            return_traffic(rollout, reason("rollout.not_normal", name=version.name,
                                           state=version.status, pct=rollout.percent))
            return Action.ROLLBACK
        reading = counters.read(rollout.service_id)
        if reading is None:
            return None  # the router is down: nothing to judge, try again next tick
        rollout.counters = counters.accumulate(rollout.counters, reading)
        decision = judge(rollout)
        act(rollout, decision)
    return decision.action


def _follow_while_paused(rollout: Rollout) -> None:
    """Take the reading but judge nothing: what came during the pause never counts."""
    reading = counters.read(rollout.service_id)
    if reading is not None:
        rollout.counters = counters.new_step(counters.accumulate(rollout.counters, reading))
        rollout.save(update_fields=["counters"])


def judge(rollout: Rollout) -> Decision:
    options = options_of(rollout)
    new = counters.observed(rollout.counters, [rollout.version_id])
    before = counters.observed(rollout.counters, previous_ids(rollout))
    if before.p95_ms is not None and before.requests >= options.min_requests:
        rollout.baseline_p95_ms = before.p95_ms
    elapsed = (timezone.now() - rollout.step_started_at).total_seconds()
    return decide(new, rollout.baseline_p95_ms, rollout.percent, elapsed, options)


def act(rollout: Rollout, decision: Decision) -> None:
    if decision.action == Action.ROLLBACK:
        return_traffic(rollout, decision.reason)
    elif decision.action == Action.ADVANCE:
        _advance(rollout, decision)
    else:
        _note_waiting(rollout, decision)
        rollout.save(update_fields=["counters", "baseline_p95_ms"])


def _note_waiting(rollout: Rollout, decision: Decision) -> None:
    """Say once per step that the hold is over but the step waits for requests (a
    quiet service): the user then knows why nothing moves."""
    if decision.code == "too_few_requests" and not rollout.counters.get("noted"):
        rollout.counters["noted"] = True
        rollout.version.record("rollout:waiting",
                               reason("rollout.waiting", why=decision.reason.as_param()))


def previous_ids(rollout: Rollout) -> list[int]:
    return [int(k) for k in rollout.previous_split if int(k) != rollout.version_id]


def observed_share(rollout: Rollout) -> tuple[float | None, int]:
    """(the new version's share of the step's answers in percent, how many answers)."""
    new = counters.observed(rollout.counters, [rollout.version_id]).requests
    total = new + counters.observed(rollout.counters, previous_ids(rollout)).requests
    return (100.0 * new / total if total else None), total


def _advance(rollout: Rollout, decision: Decision) -> None:
    share, total = observed_share(rollout)
    numbers = {"pct": rollout.percent, "numbers": decision.reason.as_param()}
    rollout.version.record("rollout:step_passed", reason("rollout.step_passed", **numbers)
                           if share is None else
                           reason("rollout.step_passed_seen", share=share, answers=total, **numbers))
    if rollout.step_index + 1 >= len(rollout.steps):
        finish(rollout, RolloutState.COMPLETED, reason("rollout.completed", name=rollout.version.name))
        return
    rollout.step_index += 1
    _begin_step(rollout)
    rollout.version.record("rollout:step", reason("rollout.step", i=rollout.step_index + 1,
                                                  n=len(rollout.steps), pct=rollout.percent))


def usable_previous(rollout: Rollout) -> dict[int, int]:
    """The previous split over the versions that can still take traffic (normal ones)."""
    normal = set(Version.objects.live().filter(service_id=rollout.service_id,
                                               status=VersionStatus.NORMAL).values_list("pk", flat=True))
    return {int(k): v for k, v in rollout.previous_split.items() if int(k) in normal}


def _begin_step(rollout: Rollout) -> None:
    apply_split(rollout, step_split(usable_previous(rollout), rollout.version_id, rollout.percent))
    rollout.step_started_at = timezone.now()
    rollout.counters = counters.new_step(rollout.counters)
    rollout.save(update_fields=["step_index", "step_started_at", "counters", "baseline_p95_ms"])


def return_traffic(rollout: Rollout, why: Reason) -> None:
    previous = usable_previous(rollout)
    target = rollback_target(previous, rollout.version_id, set(previous))
    if target is None:
        why = reason("rollout.nowhere_to_return", why=why.as_param())
    else:
        apply_split(rollout, target)
    finish(rollout, RolloutState.ROLLED_BACK, why)


def finish(rollout: Rollout, state: str, why: Reason) -> None:
    """End the rollout: its reason as code and parameters (and the English text, which
    is all rows written before codes have), and the same as an event of the version."""
    rollout.state, rollout.finished = state, timezone.now()
    rollout.reason_code, rollout.reason_params = why.code, why.params
    rollout.reason = why.text("en")[:300]
    rollout.save()
    level = "warning" if state == RolloutState.ROLLED_BACK else "info"
    rollout.version.record(f"rollout:{state}", why, level=level)


def apply_split(rollout: Rollout, split: dict[int, int]) -> None:
    """Set the split (set_traffic locks and checks it) and apply it to the router at once
    after commit: the step's hold starts now, not when the safety-net sync comes by."""
    traffic.set_traffic(rollout.service, split)
    transaction.on_commit(_sync_router)


def _sync_router() -> None:
    from hosting.orchestration.deploy import sync_router

    sync_router()
