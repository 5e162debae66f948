"""The console's side of gradual rollouts: the wizard's options, the service page's
panel (step, time left, both versions' numbers, buttons), polling that stops, Chinese."""
import pytest
from django.urls import reverse
from django.utils import translation

from hosting.models import Rollout, Version
from hosting.rollouts import actions, machine
from tests.base import make_version

pytestmark = pytest.mark.django_db
STEP1 = {"image_tag": "v2", "port": "8080", "traffic_policy": "gradual", "description": "",
         "rollout_steps": "5, 20, 100", "rollout_hold_seconds": "30", "rollout_max_5xx_percent": "0.5",
         "rollout_latency_factor": "3", "rollout_min_requests": "200"}
STEP2 = {"resource_spec": "c1-m2", "min_replicas": "1", "max_replicas": "2", "cpu_target": "60",
         "log_paths": ["stdout"], "initial_delay_seconds": "0", "action": "deploy"}


@pytest.fixture
def rolling(svc, quiet_tasks):
    old, new = make_version(svc), make_version(svc, traffic_policy="gradual")
    Version.objects.filter(pk=old.pk).update(status="normal", traffic_percent=100)
    Version.objects.filter(pk=new.pk).update(status="normal")
    machine.tick_all()
    return old, new


def test_the_wizard_creates_a_gradual_version_with_its_options(world, alice, fake_tags, quiet_tasks):
    pk = world["svc"].pk
    alice.post(reverse("version_new", args=[pk]), {**STEP1, "action": "next"})
    alice.post(reverse("version_new_hosting", args=[pk]), STEP2)
    version = Version.objects.get()
    assert version.traffic_policy == "gradual"
    assert version.rollout == {"steps": [5, 20, 100], "hold_seconds": 30, "max_5xx_percent": 0.5,
                               "latency_factor": 3.0, "min_requests": 200, "latency_floor_ms": 100}


def test_the_wizard_names_the_option_and_its_limit(world, alice, fake_tags):
    response = alice.post(reverse("version_new", args=[world["svc"].pk]),
                          {**STEP1, "rollout_hold_seconds": "5", "action": "next"})
    body = response.content.decode()
    assert "rollout.hold_seconds must be a whole number from 15 to 3600" in body
    assert 'value="5"' in body  # what was typed is shown again


def test_the_service_page_shows_the_rollout_panel(world, alice, rolling):
    body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert 'id="rollout"' in body and "Step 1 of 3: 10% of the traffic." in body
    assert "s left in this step." in body
    assert 'hx-trigger="every 2s"' in body
    for button in ("Pause", "Promote now", "Roll back now"):
        assert button in body


def test_the_panel_polls_until_the_rollout_is_over(world, alice, rolling):
    url = reverse("rollout_panel", args=[world["svc"].pk])
    assert alice.get(url, HTTP_HX_REQUEST="true").status_code == 200
    actions.promote(world["svc"])
    response = alice.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert "Promoted to 100%" in response.content.decode()


def test_the_buttons_pause_resume_promote_and_roll_back(world, alice, rolling):
    pk = world["svc"].pk
    for action, state in (("pause", "paused"), ("resume", "running"), ("rollback", "rolled_back")):
        response = alice.post(reverse("rollout_action", args=[pk, action]))
        assert response.status_code == 302
        assert Rollout.objects.get().state == state


def test_a_viewer_sees_the_panel_but_cannot_act(world, charlie, rolling):
    pk = world["svc"].pk
    body = charlie.get(reverse("service", args=[pk])).content.decode()
    assert 'id="rollout"' in body and "disabled" in body
    assert charlie.post(reverse("rollout_action", args=[pk, "pause"])).status_code == 403
    assert Rollout.objects.get().state == "running"


def test_a_traffic_change_in_the_console_cancels_the_rollout(world, alice, rolling):
    old, new = rolling
    alice.post(reverse("traffic", args=[world["svc"].pk]), {f"share_{old.pk}": "60", f"share_{new.pk}": "40"})
    assert Rollout.objects.get().state == "cancelled"


def test_the_panel_speaks_chinese(world, alice, rolling):
    alice.cookies["django_language"] = "zh-hans"
    with translation.override("en"):  # restores this thread's language after the request
        body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert "灰度发布" in body and "暂停" in body and "立即回滚" in body
    assert "第 1 步（共 3 步）：10% 的流量。" in body and "本步还剩" in body and "防护规则" in body
