"""What a rollout looks like to its readers (the API's JSON and the console's panel)."""
from django.utils import timezone

from hosting.models import Rollout
from hosting.rollouts import counters
from hosting.rollouts.machine import observed_share, options_of, previous_ids


def seconds_left(rollout: Rollout) -> int | None:
    """Seconds left in the step's hold (None once it is over or the rollout is not running)."""
    if rollout.state != "running":
        return None
    elapsed = (timezone.now() - rollout.step_started_at).total_seconds()
    return max(0, round(options_of(rollout).hold_seconds - elapsed))


def _numbers(observed) -> dict:
    return {"requests": observed.requests, "responses_5xx": observed.errors_5xx,
            "error_percent": round(observed.error_percent, 2), "p95_ms": observed.p95_ms}


def summary(rollout: Rollout) -> dict:
    share, answers = observed_share(rollout)
    return {
        "id": rollout.pk, "service": rollout.service_id, "version": rollout.version_id,
        "version_name": rollout.version.name, "state": rollout.state,
        "state_display": str(rollout.get_state_display()), "reason": rollout.reason_text,
        "reason_code": rollout.reason_code, "reason_params": rollout.reason_params,
        "steps": rollout.steps, "step_index": rollout.step_index, "percent": rollout.percent,
        "step_started_at": rollout.step_started_at, "seconds_left": seconds_left(rollout),
        "options": rollout.options,
        "previous_split": {int(k): v for k, v in rollout.previous_split.items()},
        "new": _numbers(counters.observed(rollout.counters, [rollout.version_id])),
        "previous": _numbers(counters.observed(rollout.counters, previous_ids(rollout))),
        "baseline_p95_ms": rollout.baseline_p95_ms,
        "observed_percent": round(share, 1) if share is not None else None,
        "observed_answers": answers, "created": rollout.created, "finished": rollout.finished,
    }


def latest(service) -> Rollout | None:
    return service.rollouts.select_related("version").order_by("-created", "-id").first()
