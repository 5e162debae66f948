"""Operators' admin: every model's list and detail page renders with data in it."""
import pytest
from django.urls import reverse

from hosting.models import (
    ApiToken,
    Application,
    Instance,
    Membership,
    Project,
    Service,
    Tenant,
    Version,
    VersionEvent,
)
from tests.base import make_version

pytestmark = pytest.mark.django_db
MODELS = [Tenant, Membership, ApiToken, Project, Application, Service, Version, Instance,
          VersionEvent]


@pytest.fixture
def operator(client, world, django_user_model):
    django_user_model.objects.create_superuser("op", password="op-password")
    client.login(username="op", password="op-password")
    version = make_version(world["svc"])
    Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_list_and_a_detail_page(operator, model):
    opts = model._meta
    listing = operator.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert listing.status_code == 200
    obj = model.objects.first()
    detail = operator.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert detail.status_code == 200


def test_version_list_shows_status_and_tenant_and_filters_by_status(operator):
    page = operator.get(reverse("admin:hosting_version_changelist") + "?status__exact=creating")
    assert b"testservice-001" in page.content and b"alpha" in page.content
    page = operator.get(reverse("admin:hosting_version_changelist") + "?status__exact=normal")
    assert b"testservice-001" not in page.content


def test_generated_fields_are_read_only(operator):
    version = Version.objects.first()
    page = operator.get(reverse("admin:hosting_version_change", args=[version.pk]))
    assert b'name="name"' not in page.content and b'name="image_digest"' not in page.content


def test_versions_cannot_be_added_around_the_rules(operator):
    assert operator.get(reverse("admin:hosting_version_add")).status_code == 403


def test_admin_search_finds_a_version_by_service_name(operator):
    page = operator.get(reverse("admin:hosting_version_changelist") + "?q=testservice")
    assert b"testservice-001" in page.content


def test_what_the_platform_controls_is_read_only(operator):
    version = Version.objects.first()
    page = operator.get(reverse("admin:hosting_version_change", args=[version.pk])).content.decode()
    for field in ("status", "traffic_percent", "desired_instances", "saturated"):
        assert f'name="{field}"' not in page, field


@pytest.mark.parametrize("model", [Project, Application, Service], ids=lambda m: m.__name__)
def test_deleting_a_parent_with_live_versions_is_refused(operator, model):
    service = Version.objects.first().service
    obj = {Project: service.application.project, Application: service.application,
           Service: service}[model]
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    response = operator.post(url, {"post": "yes"}, follow=True)
    assert model.objects.filter(pk=obj.pk).exists()
    assert "still has 1 version(s)" in response.content.decode()
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = operator.post(changelist, {"action": "delete_checked", "_selected_action": [obj.pk]},
                             follow=True)
    assert model.objects.filter(pk=obj.pk).exists()
    assert "still has 1 version(s)" in response.content.decode()


def test_a_parent_whose_versions_are_deleted_can_be_deleted(operator):
    Version.objects.update(status="deleted")
    service = Version.objects.first().service
    url = reverse("admin:hosting_service_delete", args=[service.pk])
    operator.post(url, {"post": "yes"})
    assert not Service.objects.filter(pk=service.pk).exists()


def test_version_actions_go_through_the_domain(operator, task_sends,
                                               django_capture_on_commit_callbacks):
    version = Version.objects.first()
    changelist = reverse("admin:hosting_version_changelist")
    response = operator.post(changelist, {"action": "redeploy_versions",
                                          "_selected_action": [version.pk]}, follow=True)
    assert "Only a version whose deploy failed can be redeployed" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(changelist, {"action": "delete_versions", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == "deleting" and version.deleted_at is not None
    assert ("delete_version", (version.pk,)) in task_sends
