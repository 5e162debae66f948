"""Gradual rollouts over the API: the policy and its options in the version body, the
rollout's state, and pause / resume / promote / roll back / a manual traffic change."""
import pytest

from hosting.models import Rollout, Version
from hosting.rollouts import machine

pytestmark = pytest.mark.django_db
URL = "/api/v1/versions/"


def create(client, svc, **fields):
    return client.post(URL, {"service": svc.pk, "image_tag": "v1", **fields}, format="json")


@pytest.fixture
def rolling(alice, svc, task_sends):
    """An old version at 100% and a gradual one deployed: its rollout is at step 1."""
    old = Version.objects.get(pk=create(alice, svc).json()["id"])
    new = Version.objects.get(pk=create(alice, svc, traffic_policy="gradual").json()["id"])
    Version.objects.filter(pk=old.pk).update(status="normal", traffic_percent=100)
    Version.objects.filter(pk=new.pk).update(status="normal")
    machine.tick_all()
    return old, new


def rollout_url(svc, action=""):
    return f"/api/v1/services/{svc.pk}/rollout/{action + '/' if action else ''}"


def test_gradual_takes_the_default_options(alice, svc, task_sends):
    body = create(alice, svc, traffic_policy="gradual").json()
    assert body["traffic_policy"] == "gradual"
    assert body["rollout"] == {"steps": [10, 50, 100], "hold_seconds": 60, "max_5xx_percent": 1.0,
                               "latency_factor": 2.0, "min_requests": 50, "latency_floor_ms": 100}


def test_options_are_kept_as_given(alice, svc, task_sends):
    body = create(alice, svc, traffic_policy="gradual",
                  rollout={"steps": [5, 25, 100], "hold_seconds": 120, "max_5xx_percent": 0.5}).json()
    assert (body["rollout"]["steps"], body["rollout"]["hold_seconds"]) == ([5, 25, 100], 120)


@pytest.mark.parametrize(("options", "words"), [
    ({"hold_seconds": 10}, "rollout.hold_seconds must be a whole number from 15 to 3600"),
    ({"steps": [50, 10, 100]}, "rollout.steps must be 1 to 10 rising percentages"),
    ({"steps": [10, 50]}, "end at 100"),
    ({"max_5xx_percent": 101}, "rollout.max_5xx_percent must be a number from 0 to 100"),
    ({"latency_factor": 0.5}, "rollout.latency_factor must be a number from 1 to 100"),
    ({"min_requests": 0}, "rollout.min_requests must be a whole number from 1 to 1000000"),
    ({"speed": 3}, "rollout.speed is not an option"),
])
def test_bad_options_are_refused_naming_the_field_and_the_limit(alice, svc, options, words):
    response = create(alice, svc, traffic_policy="gradual", rollout=options)
    assert response.status_code == 400
    assert words in response.json()["rollout"][0]
    assert not svc.versions.exists()


def test_other_policies_ignore_rollout_options(alice, svc, task_sends):
    body = create(alice, svc, traffic_policy="keep_zero", rollout={"hold_seconds": 1}).json()
    assert body["rollout"] == {}


def test_a_service_without_a_rollout_answers_404(alice, svc):
    assert alice.get(rollout_url(svc)).status_code == 404


def test_the_rollout_shows_its_step_and_time_left(alice, svc, rolling):
    old, new = rolling
    body = alice.get(rollout_url(svc)).json()
    assert (body["state"], body["percent"], body["steps"]) == ("running", 10, [10, 50, 100])
    assert body["version"] == new.pk and body["previous_split"] == {str(old.pk): 100}
    assert 0 < body["seconds_left"] <= 60
    assert body["new"] == {"requests": 0, "responses_5xx": 0, "error_percent": 0.0, "p95_ms": None}


def test_pause_and_resume(alice, svc, rolling):
    assert alice.post(rollout_url(svc, "pause")).json()["state"] == "paused"
    assert alice.post(rollout_url(svc, "resume")).json()["state"] == "running"


def test_promote_gives_the_new_version_everything(alice, svc, rolling):
    old, new = rolling
    assert alice.post(rollout_url(svc, "promote")).json()["state"] == "completed"
    assert Version.objects.get(pk=new.pk).traffic_percent == 100


def test_rollback_returns_to_the_previous_split(alice, svc, rolling):
    old, new = rolling
    body = alice.post(rollout_url(svc, "rollback")).json()
    assert (body["state"], body["reason"]) == ("rolled_back", "Rolled back by alice at 10%.")
    assert Version.objects.get(pk=old.pk).traffic_percent == 100


def test_the_reason_comes_as_a_code_and_in_the_callers_language(alice, svc, rolling):
    alice.post(rollout_url(svc, "rollback"))
    english = alice.get(rollout_url(svc), HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = alice.get(rollout_url(svc), HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    assert english["reason_code"] == chinese["reason_code"] == "rollout.rolled_back_by"
    assert english["reason_params"] == chinese["reason_params"] == {"user": "alice", "pct": 10}
    assert (english["reason"], chinese["reason"]) == ("Rolled back by alice at 10%.",
                                                      "alice 在 10% 时执行了回滚。")


def test_an_action_without_a_rollout_in_progress_is_a_conflict(alice, svc, rolling):
    alice.post(rollout_url(svc, "promote"))
    response = alice.post(rollout_url(svc, "pause"))
    assert (response.status_code, response.json()["code"]) == (409, "no_rollout")


def test_a_manual_traffic_change_cancels_the_rollout(alice, svc, rolling):
    old, new = rolling
    response = alice.put(f"/api/v1/services/{svc.pk}/traffic/",
                         {"shares": [{"version": old.pk, "percent": 50},
                                     {"version": new.pk, "percent": 50}]}, format="json")
    assert response.status_code == 200
    assert Rollout.objects.get().state == "cancelled"
    assert "changed the traffic by hand" in alice.get(rollout_url(svc)).json()["reason"]


def test_a_viewer_may_look_but_not_act(charlie, svc, rolling):
    assert charlie.get(rollout_url(svc)).status_code == 200
    assert charlie.post(rollout_url(svc, "pause")).status_code == 403


def test_another_tenant_sees_nothing(bob, svc, rolling):
    assert bob.get(rollout_url(svc)).status_code == 404
    assert bob.post(rollout_url(svc, "rollback")).status_code == 404
