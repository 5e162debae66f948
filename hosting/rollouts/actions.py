"""What a user may do to a rollout (console and API): pause, resume, promote now, roll
back now, and change the traffic by hand, which cancels it. Each takes the service,
locks its active rollout and records who did what as an event of the new version."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hosting.domain import traffic
from hosting.models import Rollout, RolloutState, Service
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


def _switch(service: Service, user, was: str, now: str, message: str) -> Rollout:
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
                                   message % {"pct": rollout.percent, "user": _who(user)})
    return rollout


def pause(service: Service, user=None) -> Rollout:
    return _switch(service, user, RolloutState.RUNNING, RolloutState.PAUSED,
                   _("Rollout paused at %(pct)d%% by %(user)s."))


def resume(service: Service, user=None) -> Rollout:
    """Resume the paused step from the start of its hold, judged on fresh counters."""
    return _switch(service, user, RolloutState.PAUSED, RolloutState.RUNNING,
                   _("Rollout resumed at %(pct)d%% by %(user)s."))


def promote(service: Service, user=None) -> Rollout:
    with transaction.atomic():
        rollout = _require_active(service)
        apply_split(rollout, {rollout.version_id: 100})
        finish(rollout, RolloutState.COMPLETED, _("Promoted to 100%% by %(user)s at %(pct)d%%.")
                % {"user": _who(user), "pct": rollout.percent})
    return rollout


def roll_back(service: Service, user=None) -> Rollout:
    with transaction.atomic():
        rollout = _require_active(service)
        return_traffic(rollout, _("Rolled back by %(user)s at %(pct)d%%.")
                   % {"user": _who(user), "pct": rollout.percent})
    return rollout


def set_traffic_by_hand(service: Service, shares: dict[int, int], user=None) -> dict[int, int]:
    """A manual traffic change wins over the rollout: it cancels it (in one transaction,
    so a tick cannot move the traffic again in between)."""
    with transaction.atomic():
        rollout = active(service)
        result = traffic.set_traffic(service, shares)
        if rollout is not None:
            finish(rollout, RolloutState.CANCELLED, _("Cancelled at %(pct)d%%: %(user)s changed "
                                                       "the traffic by hand.")
                    % {"pct": rollout.percent, "user": _who(user)})
    return result


def _who(user) -> str:
    return user.get_username() if user is not None else _("the platform")
