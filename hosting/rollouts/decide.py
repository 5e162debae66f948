"""The rollout's one decision, as a pure function: what the router counted in this step
and the user's guard rails in; advance, hold or roll back (with the numbers) out.

Order matters: a breach rolls back at once, even before the hold time is over, but only
once the step has `min_requests` answers, so three unlucky requests on a quiet service
never decide anything. A step advances when its hold time is over and it has seen enough
requests; otherwise it holds.
"""
from dataclasses import dataclass, field
from enum import StrEnum

from hosting.reasons import Reason, reason
from hosting.rollouts.options import RolloutOptions


class Action(StrEnum):
    ADVANCE = "advance"
    HOLD = "hold"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class Observed:
    """One version's (or the previous versions') answers in the current step."""

    requests: int = 0
    errors_5xx: int = 0
    p95_ms: float | None = None

    @property
    def error_percent(self) -> float:
        return 100.0 * self.errors_5xx / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Decision:
    action: Action
    code: str  # stable: error_ratio, latency, holding, too_few_requests, healthy
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> Reason:
        """The numbers as a reason (rollout.<code>, hosting/reasons.py), read in the
        reader's language; a passed step's text names the p95 only when it is known."""
        if self.code == "healthy":
            return _healthy_reason(**self.params)
        return reason(f"rollout.{self.code}", **self.params)

    @property
    def message(self) -> str:
        return self.reason.text("en")


def _healthy_reason(p95: float | None, baseline: float | None, **numbers) -> Reason:
    if p95 is None:
        return reason("rollout.healthy", **numbers)
    if baseline is None:
        return reason("rollout.healthy_p95", p95=p95, **numbers)
    return reason("rollout.healthy_p95_baseline", p95=p95, baseline=baseline, **numbers)


def decide(new: Observed, baseline_p95: float | None, step: int, elapsed: float,
           options: RolloutOptions) -> Decision:
    """`new`: the new version in this step; `baseline_p95`: the previous versions' p95
    (None when unknown); `step`: its percent; `elapsed`: seconds since the step began."""
    enough = new.requests >= options.min_requests
    numbers = {"step": step, "requests": new.requests, "percent": new.error_percent}
    if enough and new.error_percent > options.max_5xx_percent:
        return Decision(Action.ROLLBACK, "error_ratio", {**numbers, "limit": options.max_5xx_percent})
    if enough and _too_slow(new, baseline_p95, options):
        return Decision(Action.ROLLBACK, "latency", {
            "step": step, "p95": new.p95_ms, "baseline": baseline_p95,
            "factor": new.p95_ms / baseline_p95, "limit": options.latency_factor})
    if elapsed < options.hold_seconds:
        return Decision(Action.HOLD, "holding", {**numbers, "left": options.hold_seconds - elapsed})
    if not enough:
        return Decision(Action.HOLD, "too_few_requests", {
            "step": step, "requests": new.requests, "needed": options.min_requests})
    return Decision(Action.ADVANCE, "healthy", {**numbers, "p95": new.p95_ms, "baseline":
                                                None if new.p95_ms is None else baseline_p95})


def _too_slow(new: Observed, baseline: float | None, options: RolloutOptions) -> bool:
    if new.p95_ms is None or not baseline or new.p95_ms <= options.latency_floor_ms:
        return False
    return new.p95_ms > options.latency_factor * baseline
