"""The rollout state machine on the database, with the router's readings made up."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hosting.models import Rollout, RolloutState, TrafficPolicy, Version
from hosting.rollouts import actions, counters, machine
from hosting.rollouts.counters import Reading
from tests.base import make_version

OPTIONS = {"steps": [10, 50, 100], "hold_seconds": 60, "min_requests": 100}


@pytest.fixture
def router_says(monkeypatch):
    """router_says({version: (requests, 5xx)}) sets the cumulative counters the next
    reading returns (one server slot per version, a fixed HAProxy pid)."""
    state = {"counters": {}, "events": []}

    def say(numbers: dict, events: list | None = None) -> None:
        state["counters"] = {f"svc/v{v.pk}_0": (v.pk, 0, [req, req - bad, 0, bad])
                             for v, (req, bad) in numbers.items()}
        state["events"] = events or []

    monkeypatch.setattr(counters, "read", lambda service_id: Reading(
        "1", state["counters"], state["events"]))
    return say


def normal(version: Version, percent: int = 0) -> Version:
    Version.objects.filter(pk=version.pk).update(status="normal", traffic_percent=percent)
    version.refresh_from_db()
    return version


@pytest.fixture
def old_and_new(svc, task_sends):
    old = normal(make_version(svc), 100)
    new = normal(make_version(svc, traffic_policy=TrafficPolicy.GRADUAL, rollout=OPTIONS))
    return old, new


def shares(*versions) -> list[int]:
    return [Version.objects.get(pk=v.pk).traffic_percent for v in versions]


def hold_over(rollout: Rollout) -> None:
    Rollout.objects.filter(pk=rollout.pk).update(step_started_at=timezone.now() - timedelta(seconds=61))


def test_a_deployed_gradual_version_starts_at_the_first_step(old_and_new):
    old, new = old_and_new
    machine.tick_all()
    rollout = Rollout.objects.get(version=new)
    assert (rollout.state, rollout.percent, rollout.previous_split) == ("running", 10, {str(old.pk): 100})
    assert shares(old, new) == [90, 10]
    assert new.events.filter(kind="rollout:started").exists()


def test_a_healthy_version_walks_every_step_to_completion(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    total_old = total_new = 0
    for expected in ([50, 50], [0, 100], [0, 100]):
        machine.tick(rollout.pk)  # the baseline reading
        total_old, total_new = total_old + 900, total_new + 100 * (1 + rollout.step_index)
        router_says({old: (total_old, 0), new: (total_new, 0)})
        hold_over(rollout)
        assert machine.tick(rollout.pk) == "advance"
        assert shares(old, new) == expected
        rollout.refresh_from_db()
    assert rollout.state == RolloutState.COMPLETED
    assert new.events.filter(kind="rollout:step_passed").count() == 3


def test_a_step_holds_while_it_has_too_few_requests(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    router_says({old: (300, 0), new: (30, 0)})
    hold_over(rollout)
    assert machine.tick(rollout.pk) == "hold"
    assert shares(old, new) == [90, 10]
    machine.tick(rollout.pk)
    (waiting,) = new.events.filter(kind="rollout:waiting")  # said once, not every tick
    assert "only 30 of 100 requests seen" in waiting.message


def test_errors_roll_back_at_once_with_the_measured_ratio(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    router_says({old: (3000, 0), new: (412, 30)})
    assert machine.tick(rollout.pk) == "rollback"
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.ROLLED_BACK
    assert rollout.reason.startswith("5xx 7.3% over 412 requests at 10%")
    assert shares(old, new) == [100, 0]
    assert Version.objects.get(pk=new.pk).status == "normal"  # left running for inspection


def test_a_slow_version_rolls_back_on_its_p95(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    events = [(n, old.pk, 200) for n in range(150)] + [(150 + n, new.pk, 900) for n in range(150)]
    router_says({old: (150, 0), new: (150, 0)}, events)
    assert machine.tick(rollout.pk) == "rollback"
    rollout.refresh_from_db()
    assert rollout.reason.startswith("p95 ")
    assert "the previous version's" in rollout.reason


def test_the_next_tick_counts_only_what_came_since_the_last_one(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    router_says({old: (1000, 0), new: (80, 0)}, [(1, new.pk, 5), (2, new.pk, 7)])
    machine.tick(rollout.pk)
    router_says({old: (1500, 0), new: (150, 0)}, [(1, new.pk, 5), (2, new.pk, 7), (3, new.pk, 9)])
    machine.tick(rollout.pk)
    rollout.refresh_from_db()
    step = rollout.counters["step"][str(new.pk)]
    assert (step["requests"], sum(step["hist"].values())) == (150, 3)


def test_pause_stops_the_judging_and_resume_starts_the_step_over(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    actions.pause(new.service)
    router_says({old: (3000, 0), new: (412, 100)})
    assert machine.tick(rollout.pk) is None
    actions.resume(new.service)
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.RUNNING
    router_says({old: (3010, 0), new: (413, 100)})
    assert machine.tick(rollout.pk) == "hold"  # the failures during the pause do not count
    rollout.refresh_from_db()
    assert rollout.counters["step"][str(new.pk)] == {"requests": 1, "5xx": 0, "hist": {}}


def test_promote_opens_everything_now(old_and_new):
    old, new = old_and_new
    machine.start(new.pk)
    assert actions.promote(new.service).state == RolloutState.COMPLETED
    assert shares(old, new) == [0, 100]


def test_roll_back_by_hand_restores_the_previous_split(old_and_new, world):
    old, new = old_and_new
    machine.start(new.pk)
    rollout = actions.roll_back(new.service, world["alice"])
    assert (rollout.state, rollout.reason) == ("rolled_back", "Rolled back by alice at 10%.")
    assert shares(old, new) == [100, 0]


def test_a_manual_traffic_change_cancels_the_rollout(old_and_new, world):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    actions.set_traffic_by_hand(new.service, {old.pk: 70, new.pk: 30}, world["alice"])
    rollout.refresh_from_db()
    assert rollout.state == RolloutState.CANCELLED
    assert shares(old, new) == [70, 30]


def test_actions_without_a_rollout_are_refused(svc):
    with pytest.raises(actions.NotActive):
        actions.pause(svc)


def test_with_no_version_holding_traffic_the_new_one_opens_fully(svc, task_sends):
    new = normal(make_version(svc, traffic_policy=TrafficPolicy.GRADUAL))
    rollout = machine.start(new.pk)
    assert rollout.state == RolloutState.COMPLETED
    assert shares(new) == [100]


def test_a_version_that_turns_abnormal_is_rolled_back(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    Version.objects.filter(pk=new.pk).update(status="abnormal")
    assert machine.tick(rollout.pk) == "rollback"
    assert shares(old, new)[0] == 100


def test_a_newer_gradual_version_supersedes_the_running_rollout(old_and_new, svc):
    old, new = old_and_new
    first = machine.start(new.pk)
    newer = normal(make_version(svc, traffic_policy=TrafficPolicy.GRADUAL, rollout=OPTIONS))
    second = machine.start(newer.pk)
    first.refresh_from_db()
    assert (first.state, second.state) == ("cancelled", "running")
    assert "Superseded by testservice-003" in first.reason
    assert second.previous_split == {str(old.pk): 90, str(new.pk): 10}
    assert shares(old, new, newer) == [81, 9, 10]
