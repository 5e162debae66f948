"""What a user may do to a rollout (console and API): pause, resume, promote now, roll
back now, and change the traffic by hand, which cancels it. Each takes the service,
locks its active rollout and records who did what as an event of the new version."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hosting.domain import traffic
from hosting.models import Rollout, RolloutState, Service
from hosting.reasons import reason
from hosting.rollouts import counters
from hosting.rollouts.machine import apply_split, finish, return_traffic
from hosting.rollouts.models import ACTIVE


class NotActive(ValidationError):
    """The action needs a running (or paused) rollout (the API answers 409)."""


def active(service: Service) -> Rollout | None:
    return (Rollout.objects.select_for_update().select_related("version")
            .filter(service=service, state__in=ACTIVE).first())


def _require_active(service: Service) -> Rollout:
    rollout = active(service)
    if rollout is None:
        raise NotActive(_("%(service)s has no rollout in progress.") % {"service": service.name},
                        code="no_rollout")
    return rollout


def _switch(service: Service, user, was: str, now: str, code: str) -> Rollout:
    """Move a rollout from `was` to `now` (nothing if it is not in `was`), recorded."""
    with transaction.atomic():
        rollout = _require_active(service)
        if rollout.state == was:
            rollout.state = now
            if now == RolloutState.RUNNING:  # the step starts over, on fresh counters
                rollout.step_started_at = timezone.now()
                rollout.counters = counters.new_step(rollout.counters)
            rollout.save(update_fields=["state", "step_started_at", "counters"])
            rollout.version.record(f"rollout:{'resumed' if now == RolloutState.RUNNING else now}",
                                   reason(code, pct=rollout.percent, user=_who(user)))
    return rollout


def pause(service: Service, user=None) -> Rollout:
    return _switch(service, user, RolloutState.RUNNING, RolloutState.PAUSED,
                   "rollout.paused")


def resume(service: Service, user=None) -> Rollout:
    """Resume the paused step from the start of its hold, judged on fresh counters."""
    return _switch(service, user, RolloutState.PAUSED, RolloutState.RUNNING,
                   "rollout.resumed")


def promote(service: Service, user=None) -> Rollout:
    with transaction.atomic():
        rollout = _require_active(service)
        apply_split(rollout, {rollout.version_id: 100})
        finish(rollout, RolloutState.COMPLETED,
               reason("rollout.promoted", user=_who(user), pct=rollout.percent))
    return rollout


def roll_back(service: Service, user=None) -> Rollout:
    with transaction.atomic():
        rollout = _require_active(service)
        return_traffic(rollout, reason("rollout.rolled_back_by", user=_who(user),
                                       pct=rollout.percent))
    return rollout


def set_traffic_by_hand(service: Service, shares: dict[int, int], user=None) -> dict[int, int]:
    """A manual traffic change wins over the rollout: it cancels it (in one transaction,
    so a tick cannot move the traffic again in between)."""
    with transaction.atomic():
        rollout = active(service)
        result = traffic.set_traffic(service, shares)
        if rollout is not None:
            finish(rollout, RolloutState.CANCELLED, reason(
                "rollout.cancelled_by_hand", pct=rollout.percent, user=_who(user)))
    return result


def _who(user) -> str | dict:
    """The user's name, or "the platform" as a reason (said in the reader's language)."""
    return user.get_username() if user is not None else reason("rollout.the_platform").as_param()
