"""The autoscaling policy, table-driven: thresholds, cooldown, min/max, traffic 0, saturation."""
from datetime import UTC, datetime, timedelta

import pytest

from hosting.autoscale.policy import Inputs, decide

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(minutes=10)


def inputs(count=2, cpu=50.0, target=60, lo=1, hi=5, traffic=100, last=LONG_AGO, cooldown=15):
    return Inputs(count=count, avg_cpu=cpu, target=target, min_replicas=lo, max_replicas=hi,
                  traffic=traffic, last_scaled=last, now=NOW, cooldown_seconds=cooldown)


@pytest.mark.parametrize("case, given, delta, saturated", [
    ("above the target adds one", inputs(cpu=75), 1, False),
    ("exactly at the target holds", inputs(cpu=60), 0, False),
    ("just under the target holds: two would be over", inputs(count=2, cpu=55), 0, False),
    ("well under removes one", inputs(count=3, cpu=30), -1, False),
    ("removing would push the rest to the target: hold", inputs(count=2, cpu=30), 0, False),
    ("the rest would be just under the target: remove", inputs(count=2, cpu=29.9), -1, False),
    ("never below min", inputs(count=2, cpu=1, lo=2), 0, False),
    ("at max and over: saturated", inputs(count=5, cpu=90, hi=5), 0, True),
    ("under max and over: one more, not saturated", inputs(count=4, cpu=90, hi=5), 1, False),
    ("above max is impossible to reach", inputs(count=1, cpu=99, lo=1, hi=1), 0, True),
    ("cooling down after a change: hold", inputs(cpu=90, last=NOW - timedelta(seconds=5)), 0, False),
    ("cooldown over: act", inputs(cpu=90, last=NOW - timedelta(seconds=15)), 1, False),
    ("cooling down and saturated stays flagged",
     inputs(count=5, cpu=90, last=NOW - timedelta(seconds=1)), 0, True),
    ("never scaled: no cooldown", inputs(cpu=90, last=None), 1, False),
    ("no measurement: hold", inputs(cpu=None), 0, False),
    ("a version at 0 instances is the activator's", inputs(count=0, cpu=None, lo=0), 0, False),
    ("a min-0 version with traffic keeps its last instance", inputs(count=1, cpu=0, lo=0), 0, False),
    ("traffic 0: back to min, CPU ignored", inputs(count=4, cpu=95, lo=2, traffic=0), -2, False),
    ("traffic 0 below min: up to min", inputs(count=0, cpu=None, lo=2, traffic=0), 2, False),
    ("traffic 0 at min: hold", inputs(count=2, cpu=95, lo=2, hi=2, traffic=0), 0, False),
    ("traffic 0, min 0, awake: keeps one for the idle check", inputs(count=3, cpu=0, lo=0, traffic=0),
     -2, False),
    ("traffic 0, min 0, asleep: stays asleep", inputs(count=0, cpu=None, lo=0, traffic=0), 0, False),
    ("traffic 0 in cooldown: hold", inputs(count=3, lo=1, traffic=0, last=NOW), 0, False),
])
def test_policy(case, given, delta, saturated):
    decision = decide(given)
    assert (decision.delta, decision.saturated) == (delta, saturated), case
