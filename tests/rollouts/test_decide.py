"""The decision function, table-driven: counters in, advance / hold / rollback out."""
import pytest

from hosting.rollouts.decide import Action, Observed, decide
from hosting.rollouts.options import RolloutOptions

OPTIONS = RolloutOptions(hold_seconds=60, max_5xx_percent=1.0, latency_factor=2.0,
                         min_requests=100, latency_floor_ms=100)

CASES = [
    # (name, new counters, baseline p95, elapsed s, action, code)
    ("healthy after the hold advances", Observed(400, 2, 120.0), 100.0, 61, Action.ADVANCE, "healthy"),
    ("healthy within the hold holds", Observed(400, 0, 120.0), 100.0, 30, Action.HOLD, "holding"),
    ("too few requests after the hold holds", Observed(99, 0, 50.0), 40.0, 600, Action.HOLD,
     "too_few_requests"),
    ("too few requests never roll back, even all failing", Observed(20, 20, 5000.0), 10.0, 10,
     Action.HOLD, "holding"),
    ("5xx above the limit rolls back before the hold ends", Observed(412, 30, 10.0), 10.0, 5,
     Action.ROLLBACK, "error_ratio"),
    ("5xx exactly at the limit is allowed", Observed(100, 1, None), None, 61, Action.ADVANCE, "healthy"),
    ("p95 over twice the baseline rolls back", Observed(200, 0, 450.0), 200.0, 5, Action.ROLLBACK,
     "latency"),
    ("p95 at twice the baseline is allowed", Observed(200, 0, 400.0), 200.0, 61, Action.ADVANCE,
     "healthy"),
    ("p95 under the floor never rolls back", Observed(200, 0, 90.0), 3.0, 61, Action.ADVANCE, "healthy"),
    ("no baseline: latency is not judged", Observed(200, 0, 5000.0), None, 61, Action.ADVANCE, "healthy"),
    ("no latency samples: latency is not judged", Observed(200, 0, None), 50.0, 61, Action.ADVANCE,
     "healthy"),
    ("errors are judged before latency", Observed(200, 50, 5000.0), 10.0, 1, Action.ROLLBACK,
     "error_ratio"),
]


@pytest.mark.parametrize(("name", "new", "baseline", "elapsed", "action", "code"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_decision(name, new, baseline, elapsed, action, code):
    decision = decide(new, baseline, 10, elapsed, OPTIONS)
    assert (decision.action, decision.code) == (action, code)


def test_a_rollback_reason_carries_the_measured_numbers():
    decision = decide(Observed(412, 30, None), None, 10, 5, OPTIONS)
    assert decision.message.startswith("5xx 7.3% over 412 requests at 10%")


def test_a_latency_reason_names_both_p95s_and_the_factor():
    decision = decide(Observed(200, 0, 812.0), 198.0, 50, 5, OPTIONS)
    assert decision.message.startswith("p95 812 ms is 4.1x the previous version's 198 ms at 50%")


def test_too_few_requests_says_how_many_are_missing():
    decision = decide(Observed(12, 0, None), None, 10, 70, OPTIONS)
    assert "only 12 of 100 requests" in decision.message
