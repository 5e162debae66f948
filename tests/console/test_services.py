"""Creating services (live name check), the service page, its polling fragment, the guide."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hosting.models import Instance, Service, VersionEvent
from hosting.status import InstanceStatus, VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


def test_create_service_binds_its_repository(world, alice):
    app = world["svc"].application
    response = alice.post(reverse("service_new", args=[app.pk]), {"name": "sensor-api"})
    service = Service.objects.get(tenant=world["alpha"], name="sensor-api")
    assert response["Location"] == reverse("service", args=[service.pk])
    assert service.repository == "alpha/sensor-api"
    assert "alpha/sensor-api" in alice.get(response["Location"]).content.decode()


@pytest.mark.parametrize("name, message", [
    ("Bad_Name", "lowercase letters"), ("-x", "lowercase letters"), ("a" * 41, "1–40"),
    ("testservice", "already has a service named testservice"),
])
def test_create_service_rejects_bad_names(world, alice, name, message):
    app = world["svc"].application
    response = alice.post(reverse("service_new", args=[app.pk]), {"name": name})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and f'value="{name}"' in body


def test_live_name_check_reports_errors_and_the_repository(world, alice):
    url = reverse("service_name_check", args=[world["svc"].application.pk])
    taken = alice.get(url, {"name": "testservice"}, headers={"HX-Request": "true"}).content.decode()
    assert "already has a service" in taken
    bad = alice.get(url, {"name": "UPPER"}, headers={"HX-Request": "true"}).content.decode()
    assert "lowercase" in bad
    fine = alice.get(url, {"name": "fresh"}, headers={"HX-Request": "true"}).content.decode()
    assert "alpha/fresh" in fine and "<html" not in fine


def test_same_service_name_in_another_tenant_is_fine(world, alice):
    url = reverse("service_name_check", args=[world["svc"].application.pk])
    assert "alpha/othersvc" in alice.get(url, {"name": "othersvc"}).content.decode()


def test_upload_guide_is_a_modal_fragment_with_the_commands(world, alice):
    url = reverse("upload_guide", args=[world["svc"].pk])
    fragment = alice.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "push" in fragment and "alpha/testservice" in fragment
    page = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert f'hx-get="{url}"' in page and 'hx-target="#modal-body"' in page and "<dialog" in page


def test_service_page_shows_versions_with_status_traffic_instances_and_preview(world, alice):
    version = make_version(world["svc"])
    version.set_status(VersionStatus.NORMAL, desired_instances=2, traffic_percent=100)
    Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0),
                            status=InstanceStatus.RUNNING)
    body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    row = body.split(f'id="version-{version.pk}"')[1].split("</tr>")[0]
    assert "Normal" in row and "100%" in row and "1 / 2" in row and version.preview_host in row


def test_the_service_page_says_when_a_version_is_saturated(world, alice):
    version = make_version(world["svc"])
    version.saturated = True
    version.save(update_fields=["saturated"])
    assert "At max replicas" in alice.get(reverse("service", args=[world["svc"].pk])).content.decode()


def test_polling_fragment_continues_while_a_deploy_is_in_progress(world, alice):
    make_version(world["svc"])  # creating
    response = alice.get(reverse("service", args=[world["svc"].pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'hx-trigger="every 2s"' in body


def test_polling_stops_with_286_when_nothing_is_in_progress(world, alice):
    version = make_version(world["svc"])
    version.set_status(VersionStatus.DEPLOY_FAILED, "pull failed", detail="manifest unknown")
    response = alice.get(reverse("service", args=[world["svc"].pk]), headers={"HX-Request": "true"})
    assert response.status_code == 286
    body = response.content.decode()
    assert "Deploy failed" in body and "hx-trigger" not in body


def test_full_page_does_not_poll_when_nothing_is_in_progress(world, alice):
    body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert "every 2s" not in body


def test_deploy_failed_badge_opens_the_detailed_error_log(world, alice):
    version = make_version(world["svc"])
    version.set_status(VersionStatus.DEPLOY_FAILED, "Image pull failed.", detail="manifest unknown: v1")
    page = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    error_url = reverse("version_error", args=[version.pk])
    assert f'hx-get="{error_url}"' in page
    fragment = alice.get(error_url, headers={"HX-Request": "true"}).content.decode()
    assert "manifest unknown: v1" in fragment and "<html" not in fragment


def test_version_limit_disables_new_version(world, alice):
    for _ in range(10):
        make_version(world["svc"])
    body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert "10 of at most 10 versions" in body
    assert 'href="%s?restart=1"' % reverse("version_new", args=[world["svc"].pk]) not in body


def _versions(service, count: int, instances: int = 3) -> None:
    for _ in range(count):
        version = make_version(service)
        version.record("note", "something happened")
        for ordinal in range(instances):
            Instance.objects.create(version=version, ordinal=ordinal, status=InstanceStatus.RUNNING,
                                    name=Instance.name_for(version, ordinal))


def _queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, headers=headers).status_code in {200, 286}
    return len(ctx)


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["page", "fragment"])
def test_service_page_queries_do_not_grow_with_versions(world, alice, django_assert_num_queries, headers):
    svc = world["svc"]
    url = reverse("service", args=[svc.pk])
    _versions(svc, 1)
    one = _queries(alice, url, **headers)
    _versions(svc, 9)
    assert VersionEvent.objects.filter(version__service=svc).count() >= 10
    with django_assert_num_queries(one):
        alice.get(url, headers=headers)


def test_delete_service_without_versions(world, alice):
    svc = world["svc"]
    assert alice.post(reverse("service_delete", args=[svc.pk])).status_code == 302
    assert not Service.objects.filter(pk=svc.pk).exists()


def test_service_edit_keeps_the_name_bound_to_the_repository(world, alice):
    svc = world["svc"]
    alice.post(reverse("service_edit", args=[svc.pk]), {"name": "renamed", "description": "hello"})
    svc.refresh_from_db()
    assert svc.name == "testservice" and svc.description == "hello"
