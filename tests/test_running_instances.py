""""Running instances" is one query (Version.objects.with_running_instances): the API,
the console's service page and the admin's version list show the same count."""
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from hosting.models import Instance, Version
from hosting.status import InstanceStatus, VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(world) -> dict:
    """Three live versions with instances in every status; the expected running counts."""
    versions = [make_version(world["svc"]) for _ in range(3)]
    layouts = [[], [InstanceStatus.RUNNING, InstanceStatus.STARTING, InstanceStatus.FAILED],
               [InstanceStatus.RUNNING, InstanceStatus.RUNNING, InstanceStatus.STOPPED,
                InstanceStatus.PENDING]]
    for version, statuses in zip(versions, layouts, strict=True):
        version.set_status(VersionStatus.NORMAL, "healthy")
        for ordinal, status in enumerate(statuses):
            Instance.objects.create(version=version, ordinal=ordinal, status=status,
                                    name=Instance.name_for(version, ordinal))
    return {version.name: statuses.count(InstanceStatus.RUNNING)
            for version, statuses in zip(versions, layouts, strict=True)}


def test_the_domain_counts_only_running_instances(fleet):
    counted = Version.objects.live().with_running_instances()
    assert {v.name: v.instances_running for v in counted} == fleet == {
        "testservice-001": 0, "testservice-002": 1, "testservice-003": 2}
    assert set(Instance.objects.running().values_list("status", flat=True)) == {"running"}


def test_the_api_console_and_admin_agree(world, fleet, django_user_model):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['alice_key']}")
    body = api.get("/api/v1/versions/").json()
    from_api = {row["name"]: row["instances_running"] for row in body["results"]}

    console = Client()
    console.force_login(world["alice"])
    page = console.get(reverse("service", args=[world["svc"].pk]))
    from_console = {v.name: v.running for v in page.context["versions"]}

    django_user_model.objects.create_superuser("op", password="op-password")
    admin = Client()
    admin.login(username="op", password="op-password")
    listing = admin.get(reverse("admin:hosting_version_changelist"))
    from_admin = {v.name: v.instances_running for v in listing.context["cl"].result_list}

    assert from_api == from_console == from_admin == fleet
