"""The version page (config, instances, events, logs, charts), delete and redeploy; traffic; tokens."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hosting.models import ApiToken, Instance, LogEntry, MetricSample, Version
from hosting.status import InstanceStatus, VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(world):
    version = make_version(world["svc"], log_paths=["stdout", "/var/log/app.log"],
                           env=[("MODE", "prod")])
    version.set_status(VersionStatus.NORMAL, desired_instances=1)
    Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0),
                            status=InstanceStatus.RUNNING, ready=True, cpu_percent=42.0)
    return version


def test_version_page_shows_config_instances_and_events(world, alice, version):
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    for text in ("testservice-001", "/var/log/app.log", "MODE=prod", "0.5 CPU / 1 GiB",
                 Instance.name_for(version, 0), "42%", "Version testservice-001 created.",
                 version.preview_url, "No metrics yet."):
        assert text in body, text


def test_version_live_part_polls_until_terminal(world, alice, version):
    url = reverse("version", args=[version.pk])
    assert alice.get(url, headers={"HX-Request": "true"}).status_code == 286
    creating = make_version(world["svc"])
    response = alice.get(reverse("version", args=[creating.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.content.decode()


def test_log_tail_shows_each_source(world, alice, version):
    name = Instance.name_for(version, 0)
    LogEntry.objects.create(version=version, instance_name=name, source="stdout", line="hello stdout")
    LogEntry.objects.create(version=version, instance_name=name, source="/var/log/app.log", line="file line")
    url = reverse("version_logs", args=[version.pk])
    stdout = alice.get(url, {"source": "stdout"}, headers={"HX-Request": "true"})
    assert stdout.status_code == 200
    body = stdout.content.decode()
    assert "hello stdout" in body and "file line" not in body and 'hx-trigger="every 3s"' in body
    assert "?source=/var/log/app.log" in body
    path = alice.get(url, {"source": "/var/log/app.log"}).content.decode()
    assert "file line" in path and "hello stdout" not in path and "<html" in path


def test_log_polling_stops_once_the_version_is_gone(world, alice, version):
    version.traffic_percent = 0
    version.save(update_fields=["traffic_percent"])
    alice.post(reverse("version_delete", args=[version.pk]))
    response = alice.get(reverse("version_logs", args=[version.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 286


def test_charts_are_drawn_from_metric_samples(world, alice, version):
    now = timezone.now()
    for i in range(5):
        MetricSample.objects.create(version=version, timestamp=now - timedelta(seconds=50 - i * 10),
                                    interval_seconds=10, requests=10 * i, cpu_percent=20.0 + i)
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert body.count("<polyline") == 2 and "No metrics yet." not in body
    assert "4.0/s" in body and "24.0%" in body


def test_saturated_version_says_so(world, alice, version):
    version.saturated = True
    version.save(update_fields=["saturated"])
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert 'id="saturated"' in body and "maximum of 50 instances" in body


def test_delete_version_with_confirmation(world, alice):
    version = make_version(world["svc"])
    confirm = alice.get(reverse("version_delete", args=[version.pk]), headers={"HX-Request": "true"})
    assert "Delete testservice-001?" in confirm.content.decode()
    response = alice.post(reverse("version_delete", args=[version.pk]))
    assert response["Location"] == reverse("service", args=[world["svc"].pk])
    version.refresh_from_db()
    assert version.status == VersionStatus.DELETING and not version.is_live


def test_delete_of_a_version_holding_traffic_shows_a_message(world, alice, version):
    other = make_version(world["svc"])
    other.set_status(VersionStatus.NORMAL)
    version.traffic_percent = 100
    version.save(update_fields=["traffic_percent"])
    response = alice.post(reverse("version_delete", args=[version.pk]), follow=True)
    assert "still receives 100% of the traffic" in response.content.decode()
    version.refresh_from_db()
    assert version.is_live


def test_redeploy_a_failed_version(world, alice):
    version = make_version(world["svc"])
    version.set_status(VersionStatus.DEPLOY_FAILED, "pull failed", detail="boom")
    page = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert reverse("version_redeploy", args=[version.pk]) in page
    alice.post(reverse("version_redeploy", args=[version.pk]))
    version.refresh_from_db()
    assert version.status == VersionStatus.CREATING


def test_redeploy_of_a_normal_version_is_refused_with_a_message(world, alice, version):
    response = alice.post(reverse("version_redeploy", args=[version.pk]), follow=True)
    assert "Only a version whose deploy failed can be redeployed" in response.content.decode()


# -- traffic -----------------------------------------------------------------------

@pytest.fixture
def two_normal(world):
    a, b = make_version(world["svc"]), make_version(world["svc"])
    a.set_status(VersionStatus.NORMAL, traffic_percent=100)
    b.set_status(VersionStatus.NORMAL)
    return a, b


def test_traffic_page_shows_the_split_and_applies_shares(world, alice, two_normal):
    a, b = two_normal
    url = reverse("traffic", args=[world["svc"].pk])
    body = alice.get(url).content.decode()
    assert 'class="split"' in body and "width: 100%" in body
    response = alice.post(url, {f"share_{a.pk}": "30", f"share_{b.pk}": "70"})
    assert response["Location"] == reverse("service", args=[world["svc"].pk])
    assert [v.traffic_percent for v in Version.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk")] == [30, 70]


@pytest.mark.parametrize("shares, message", [
    (("50", "40"), "Shares must add up to 100 (they add up to 90)."),
    (("50.5", "49.5"), "is not a whole number"),
    (("-10", "110"), "whole number from 0 to 100"),
])
def test_traffic_errors_are_shown_inline_and_typed_values_kept(world, alice, two_normal, shares, message):
    a, b = two_normal
    url = reverse("traffic", args=[world["svc"].pk])
    response = alice.post(url, {f"share_{a.pk}": shares[0], f"share_{b.pk}": shares[1]},
                          headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 400 and message in body and "<html" not in body
    assert f'value="{shares[0]}"' in body and f'value="{shares[1]}"' in body
    a.refresh_from_db()
    assert a.traffic_percent == 100


def test_only_normal_versions_get_a_share_input(world, alice, two_normal):
    creating = make_version(world["svc"])
    body = alice.get(reverse("traffic", args=[world["svc"].pk])).content.decode()
    assert f"share_{creating.pk}" not in body and f"share_{two_normal[0].pk}" in body


# -- API tokens --------------------------------------------------------------------

def test_tokens_show_the_key_once_and_then_only_the_prefix(world, alice):
    response = alice.post(reverse("tokens"), {"name": "ci"}, follow=True)
    token = ApiToken.objects.get(user=world["alice"], name="ci")
    body = response.content.decode()
    key = body.split('id="new-token"')[1].split("<code>")[1].split("</code>")[0]
    assert ApiToken.objects.authenticate(key) == token
    again = alice.get(reverse("tokens")).content.decode()
    assert key not in again and f"{token.prefix}…" in again


def test_revoke_a_token(world, alice):
    token, key = ApiToken.issue(world["alice"], name="old")
    alice.post(reverse("token_revoke", args=[token.pk]))
    assert ApiToken.objects.authenticate(key) is None


def test_another_users_token_cannot_be_revoked(world, bob):
    token, key = ApiToken.issue(world["alice"], name="mine")
    assert bob.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.authenticate(key) == token
