"""The rollout state machine on the database, with the router's readings made up."""
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from hosting.models import Rollout, RolloutState, TrafficPolicy, Version, VersionEvent
from hosting.rollouts import actions, counters, machine
from hosting.rollouts.counters import Reading
from tests.base import make_service, make_version

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


# Every rollout event is a code and parameters, read in the reader's language ----------
def read(event_or_rollout) -> tuple[str, str]:
    """(English, Chinese) of an event's text or a finished rollout's reason."""
    texts = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            item = event_or_rollout
            texts.append(item.text if isinstance(item, VersionEvent) else item.reason_text)
    return tuple(texts)


def last_event(version: Version, kind: str) -> VersionEvent:
    return version.events.filter(kind=kind).order_by("id").last()


def test_the_start_and_the_steps_read_in_english_and_in_chinese(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    started = last_event(new, "rollout:started")
    assert (started.code, started.params) == ("rollout.started", {
        "n": 3, "pct": 10, "steps": ["10%", "50%", "100%"], "hold": 60})
    assert read(started) == (
        "Gradual rollout started: step 1 of 3, 10% of the traffic (steps 10%, 50%, 100%, hold 60 s).",
        "灰度发布开始：第 1 步（共 3 步），10% 的流量（步骤 10%, 50%, 100%，每步保持 60 秒）。")
    machine.tick(rollout.pk)
    # Request times as the router's histogram buckets them: p95s of 129 and 107 ms.
    events = [(n, old.pk, 100) for n in range(100)] + [(100 + n, new.pk, 120) for n in range(100)]
    router_says({old: (900, 0), new: (100, 1)}, events)
    hold_over(rollout)
    assert machine.tick(rollout.pk) == "advance"
    assert read(last_event(new, "rollout:step_passed")) == (
        "Step 10% passed: 5xx 1.0% over 100 requests at 10%, p95 129 ms vs 107 ms before "
        "(observed 10.0% of 1000 answers).",
        "10% 这一步已通过：10% 时 100 个请求中 5xx 占 1.0%，p95 为 129 毫秒（之前为 107 毫秒）"
        "（实际承接 1000 个响应中的 10.0%）。")
    assert read(last_event(new, "rollout:step")) == ("Step 2 of 3: 50% of the traffic.",
                                                      "第 2 步（共 3 步）：50% 的流量。")


def test_a_rollback_on_errors_gives_its_ratio_in_both_languages(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    router_says({old: (3000, 0), new: (412, 30)})
    machine.tick(rollout.pk)
    rollout.refresh_from_db()
    english = "5xx 7.3% over 412 requests at 10% (the limit is 1%)"
    chinese = "10% 时 412 个请求中 5xx 占 7.3%（上限为 1%）"
    assert (rollout.reason_code, rollout.reason) == ("rollout.error_ratio", english)
    assert read(rollout) == read(last_event(new, "rollout:rolled_back")) == (english, chinese)


def test_a_rollback_on_latency_gives_its_p95_in_both_languages(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    # 900 and 200 ms as the router's histogram buckets them: p95s of 956 and 208 ms.
    events = [(n, old.pk, 200) for n in range(150)] + [(150 + n, new.pk, 900) for n in range(150)]
    router_says({old: (150, 0), new: (150, 0)}, events)
    machine.tick(rollout.pk)
    rollout.refresh_from_db()
    assert read(rollout) == (
        "p95 956 ms is 4.6x the previous version's 208 ms at 10% (the limit is 2x)",
        "10% 时 p95 为 956 毫秒，是之前版本 208 毫秒的 4.6 倍（上限为 2 倍）")


def test_a_waiting_step_says_why_in_both_languages(old_and_new, router_says):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    router_says({old: (300, 0), new: (30, 0)})
    hold_over(rollout)
    machine.tick(rollout.pk)
    assert read(last_event(new, "rollout:waiting")) == (
        "10%: hold time over but only 30 of 100 requests seen; holding until there are enough.",
        "10%：保持时间已到，但只收到 30 个请求（需要 100 个）；继续保持，直到请求足够。")


@pytest.mark.parametrize("act, kind, english, chinese", [
    (lambda s, u: actions.pause(s, u), "rollout:paused", "Rollout paused at 10% by alice.",
     "alice 在 10% 时暂停了灰度发布。"),
    (lambda s, u: actions.roll_back(s, u), "rollout:rolled_back", "Rolled back by alice at 10%.",
     "alice 在 10% 时执行了回滚。"),
    (lambda s, u: actions.roll_back(s, None), "rollout:rolled_back",
     "Rolled back by the platform at 10%.", "平台 在 10% 时执行了回滚。"),
    (lambda s, u: actions.promote(s, u), "rollout:completed", "Promoted to 100% by alice at 10%.",
     "alice 在 10% 时立即全量到 100%。"),
    (lambda s, u: actions.set_traffic_by_hand(s, {v.pk: v.traffic_percent for v in
                                                  s.versions.all()}, u), "rollout:cancelled",
     "Cancelled at 10%: alice changed the traffic by hand.", "在 10% 时取消：alice 手动修改了流量。"),
])
def test_a_users_action_reads_in_both_languages(old_and_new, world, act, kind, english, chinese):
    old, new = old_and_new
    machine.start(new.pk)
    act(new.service, world["alice"])
    assert read(last_event(new, kind)) == (english, chinese)


def test_an_abnormal_version_rolls_back_with_its_status_label(old_and_new):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    Version.objects.filter(pk=new.pk).update(status="abnormal")
    machine.tick(rollout.pk)
    rollout.refresh_from_db()
    assert rollout.reason_params["state"] == "abnormal"
    english, chinese = read(rollout)
    assert english == "testservice-002 is no longer normal (Abnormal) at 10%."
    assert chinese.startswith("testservice-002 在 10% 时已不再正常（") and "Abnormal" not in chinese


def test_with_nothing_to_compare_and_when_superseded_both_languages(old_and_new, svc, task_sends):
    old, new = old_and_new
    first = machine.start(new.pk)
    newer = normal(make_version(svc, traffic_policy=TrafficPolicy.GRADUAL, rollout=OPTIONS))
    machine.start(newer.pk)
    first.refresh_from_db()
    assert read(first) == ("Superseded by testservice-003's rollout.",
                           "已被 testservice-003 的灰度发布取代。")
    alone = normal(make_version(make_service(svc.tenant, "alone"), traffic_policy=TrafficPolicy.GRADUAL))
    assert read(machine.start(alone.pk)) == (
        "No other version had traffic, so there is nothing to compare with: opened 100%.",
        "没有其他版本承接流量，无从对比：已直接开放 100%。")


def test_rows_written_before_codes_keep_their_stored_text(old_and_new):
    old, new = old_and_new
    rollout = machine.start(new.pk)
    Rollout.objects.filter(pk=rollout.pk).update(
        state="rolled_back", reason="Rolled back by alice at 10%.", reason_code="", reason_params={})
    rollout.refresh_from_db()
    event = VersionEvent.objects.create(version=new, kind="rollout:paused",
                                        message="Rollout paused at 10% by alice.")
    assert read(rollout) == ("Rolled back by alice at 10%.",) * 2
    assert read(event) == ("Rollout paused at 10% by alice.",) * 2
