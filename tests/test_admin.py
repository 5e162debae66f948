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
