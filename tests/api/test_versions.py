"""Versions over the API: idempotent creation, events, logs, metrics, instances, and
the registry-backed service endpoints (tags, upload guide) with their 503."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hosting.models import Instance, InstanceStart, LogEntry, MetricSample, Version
from hosting.orchestration import phases
from hosting.status import InstanceStatus, VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/versions/"


def create(client, svc, key=None, **fields):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, {"service": svc.pk, "image_tag": "v1", **fields}, format="json", **headers)


def test_two_posts_with_one_idempotency_key_make_one_version(alice, svc):
    first = create(alice, svc, key="ci-run-42")
    again = create(alice, svc, key="ci-run-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert svc.versions.count() == 1
    assert create(alice, svc, key="ci-run-43").status_code == 201
    assert svc.versions.count() == 2


def test_an_idempotency_key_is_replayed_even_at_the_version_limit(alice, svc):
    assert create(alice, svc, key="k").status_code == 201
    for _ in range(9):
        create(alice, svc)
    assert create(alice, svc).status_code == 409
    assert create(alice, svc, key="k").status_code == 200


def test_an_overlong_idempotency_key_is_rejected(alice, svc):
    response = create(alice, svc, key="k" * 101)
    assert (response.status_code, response.json()) == (
        400, {"Idempotency-Key": ["Idempotency-Key must be at most 100 characters."]})


def test_version_json_carries_the_contract_fields(alice, svc):
    version = make_version(svc, min_replicas=2)
    version.set_status(VersionStatus.NORMAL, "healthy")
    Version.objects.filter(pk=version.pk).update(desired_instances=2, saturated=True,
                                                 image_digest="sha256:" + "a" * 64)
    for ordinal, status in enumerate([InstanceStatus.RUNNING, InstanceStatus.STARTING]):
        Instance.objects.create(version=version, ordinal=ordinal, status=status,
                                name=Instance.name_for(version, ordinal))
    body = alice.get(f"{URL}{version.pk}/").json()
    assert body["name"] == "testservice-001"
    assert body["status"] == "normal"
    assert body["traffic_percent"] == 0
    assert body["preview_url"] == (f"http://testservice-001-{version.preview_label}"
                                   ".preview.alpha.apps.localhost:8080/")
    assert body["image_digest"] == "sha256:" + "a" * 64
    assert (body["instances_running"], body["instances_desired"], body["saturated"]) == (1, 2, True)


def test_events_list_what_happened_with_the_error_log(alice, svc):
    version = make_version(svc)
    version.set_status(VersionStatus.DEPLOY_FAILED, "Container exited.", detail="exit code 3")
    events = alice.get(f"{URL}{version.pk}/events/").json()["results"]
    assert [e["kind"] for e in events] == ["created", "status:deploy_failed"]
    assert events[-1]["detail"] == "exit code 3"
    assert events[-1]["level"] == "error"


@pytest.fixture
def fake_logs(monkeypatch):
    """read_logs stands in for the runtime's log reader; we check what the API passes."""
    calls = []

    def read_logs(version, instance_name=None, since=None, tail=200):
        calls.append({"instance_name": instance_name, "since": since, "tail": tail})
        return list(LogEntry.objects.filter(version=version).order_by("timestamp"))[-tail:]

    import hosting.orchestration.logs as logs_module

    monkeypatch.setattr(logs_module, "read_logs", read_logs, raising=False)
    return calls


def test_logs_pass_tail_since_and_instance(alice, svc, fake_logs):
    version = make_version(svc)
    now = timezone.now()
    for i in range(3):
        LogEntry.objects.create(version=version, instance_name="i0", line=f"line {i}",
                                timestamp=now + timedelta(seconds=i))
    body = alice.get(f"{URL}{version.pk}/logs/?tail=2&instance=i0&since=2024-05-01T12:00:00Z").json()
    assert [row["line"] for row in body] == ["line 1", "line 2"]
    assert fake_logs[-1]["tail"] == 2 and fake_logs[-1]["instance_name"] == "i0"
    assert fake_logs[-1]["since"].isoformat() == "2024-05-01T12:00:00+00:00"


@pytest.mark.parametrize("query,field", [("tail=0", "tail"), ("tail=abc", "tail"), ("since=yesterday", "since")])
def test_logs_reject_bad_parameters(alice, svc, fake_logs, query, field):
    response = alice.get(f"{URL}{make_version(svc).pk}/logs/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_metrics_are_the_last_samples_oldest_first(alice, svc):
    version = make_version(svc)
    now = timezone.now()
    for i in range(5):
        MetricSample.objects.create(version=version, requests=i, timestamp=now + timedelta(seconds=i))
    body = alice.get(f"{URL}{version.pk}/metrics/?last=3").json()
    assert [row["requests"] for row in body] == [2, 3, 4]


def test_instances_are_listed_and_filtered(alice, svc):
    a, b = make_version(svc), make_version(svc)
    for version in (a, b):
        Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0))
    body = alice.get(f"/api/v1/instances/?version={a.pk}").json()
    assert [row["name"] for row in body["results"]] == [Instance.name_for(a, 0)]


def test_tags_come_from_the_registry(alice, svc, monkeypatch):
    from hosting.registry import client

    monkeypatch.setattr(client, "list_tags", lambda repository: ["v1", "v2"] if repository == "alpha/testservice" else [])
    response = alice.get(f"/api/v1/services/{svc.pk}/tags/")
    assert response.json() == {"repository": "alpha/testservice", "tags": ["v1", "v2"]}


def test_an_unreachable_registry_is_a_503_with_a_clear_message(alice, svc, monkeypatch):
    from hosting.registry import client

    def down(repository):
        raise client.RegistryUnavailable("connection refused")

    monkeypatch.setattr(client, "list_tags", down)
    response = alice.get(f"/api/v1/services/{svc.pk}/tags/")
    assert response.status_code == 503
    assert response.json()["detail"] == ("The image registry at 127.0.0.1:5000 is not reachable "
                                        "(connection refused); try again in a moment.")


def test_the_upload_guide_names_the_repository(alice, svc):
    body = alice.get(f"/api/v1/services/{svc.pk}/upload-guide/?tag=v7").json()
    assert body["repository"] == "alpha/testservice"
    assert body["image"].endswith("/alpha/testservice:v7")
    assert body["username"] == "alice"


def test_logs_read_the_stored_lines(alice, svc):
    version = make_version(svc)
    now = timezone.now()
    for i in range(3):
        LogEntry.objects.create(version=version, instance_name=f"i{i % 2}", line=f"line {i}",
                                timestamp=now + timedelta(seconds=i))
    body = alice.get(f"{URL}{version.pk}/logs/?instance=i0").json()
    assert [(row["instance_name"], row["line"]) for row in body] == [("i0", "line 0"), ("i0", "line 2")]


def test_a_created_version_has_its_location(alice, svc):
    response = create(alice, svc)
    assert response.headers["Location"].endswith(f"/api/v1/versions/{response.json()['id']}/")


def test_the_browsable_api_works_with_a_console_session(client, world, svc):
    client.login(username="alice", password="alice-password")
    response = client.get("/api/v1/versions/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"<html" in response.content.lower()
    # A session without the CSRF token cannot change anything.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.login(username="alice", password="alice-password")
    response = strict.post(URL, {"service": svc.pk, "image_tag": "v1"}, content_type="application/json")
    assert response.status_code == 403
    assert svc.versions.count() == 0


def test_an_instance_shows_where_its_start_spent_its_time(alice, svc):
    version = make_version(svc)
    instance = Instance.objects.create(version=version, ordinal=0, container_id="c0ffee",
                                       name=Instance.name_for(version, 0))
    InstanceStart.objects.create(
        version=version, ordinal=0, instance_name=instance.name, container_id="c0ffee",
        kind="cold", phases=[phases.phase("wake", 100.0, 100.01), phases.phase("create", 100.01, 100.06),
                             phases.phase("proxy", 100.06, 100.21, status=200)])
    body = alice.get(f"/api/v1/instances/{instance.pk}/").json()
    assert body["start"]["kind"] == "cold"
    assert body["start"]["total_seconds"] == pytest.approx(0.21)
    assert [(p["name"], p["seconds"]) for p in body["start"]["phases"]] == [
        ("wake", 0.01), ("create", 0.05), ("proxy", 0.15)]
    assert body["start"]["phases"][-1]["detail"] == {"status": 200}


def test_an_instance_whose_start_was_not_seen_has_no_start(alice, svc):
    version = make_version(svc)
    instance = Instance.objects.create(version=version, ordinal=0, container_id="adopted",
                                       name=Instance.name_for(version, 0))
    assert alice.get(f"/api/v1/instances/{instance.pk}/").json()["start"] is None
    assert "start" not in alice.get("/api/v1/instances/").json()["results"][0]
