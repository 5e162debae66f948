"""The autoscaling policy as a pure function: numbers in, a decision out (no I/O).

Rules (DESIGN.md, "scaling condition"):
- average CPU of the instances, as a percent of the spec's CPU, above the target → one
  more instance, never above max; at max and still above → saturated;
- below the target → one fewer, only if the remaining instances would still be under the
  target (count × avg / (count − 1) < target), never below min;
- after any change, a cooldown before the condition is checked again;
- traffic 0 → the count goes back to min and no CPU rule applies (a min-0 version woken
  by its preview URL keeps its one instance: the idle check puts it to sleep).
"""
from dataclasses import dataclass
from datetime import datetime

from hosting.reasons import Reason, reason


@dataclass(frozen=True)
class Inputs:
    count: int  # instances the version runs (ready, and equal to the desired count)
    avg_cpu: float | None  # percent of the spec's CPU; None when nothing was measured
    target: int  # percent
    min_replicas: int
    max_replicas: int
    traffic: int  # the version's share, percent
    last_scaled: datetime | None
    now: datetime
    cooldown_seconds: float


@dataclass(frozen=True)
class Decision:
    delta: int  # change of the instance count: +1, −1, 0 (traffic 0: straight to min)
    saturated: bool
    reason: str  # for logs and tests; events store `why` (hosting/reasons.py)
    why: Reason | None = None


def cooling_down(i: Inputs) -> bool:
    return i.last_scaled is not None and (i.now - i.last_scaled).total_seconds() < i.cooldown_seconds


def without_traffic(i: Inputs) -> Decision:
    floor = max(i.min_replicas, 1) if i.min_replicas == 0 and i.count > 0 else i.min_replicas
    if i.count > floor and cooling_down(i):
        return Decision(0, False, "cooling down")
    return Decision(floor - i.count, False, "no traffic: instances stay at min",
                    reason("scale.no_traffic"))


def decide(i: Inputs) -> Decision:
    if i.traffic <= 0:
        return without_traffic(i)
    over = i.avg_cpu is not None and i.avg_cpu > i.target
    saturated = over and i.count >= i.max_replicas
    if i.count == 0 or i.avg_cpu is None:
        return Decision(0, False, "nothing measured")  # a version at 0 is the activator's
    if cooling_down(i):
        return Decision(0, saturated, "cooling down")
    if over:
        if saturated:
            return Decision(0, True, f"CPU {i.avg_cpu:.0f}% over {i.target}% at max replicas",
                            reason("scale.cpu_at_max", cpu=round(i.avg_cpu), target=i.target))
        return Decision(1, False, f"CPU {i.avg_cpu:.0f}% over the {i.target}% target",
                        reason("scale.cpu_over", cpu=round(i.avg_cpu), target=i.target))
    if i.count > max(i.min_replicas, 1) and i.count * i.avg_cpu / (i.count - 1) < i.target:
        return Decision(-1, False, f"CPU {i.avg_cpu:.0f}% well under the {i.target}% target",
                        reason("scale.cpu_under", cpu=round(i.avg_cpu), target=i.target))
    return Decision(0, False, "within target")
