"""A project created without naming its tenant goes to the caller's one tenant; with
several tenants (or a viewer's role) the usual answers apply."""
import pytest

from hosting.models import ApiToken, Membership, Project
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/projects/"


def test_a_caller_with_one_tenant_may_leave_it_out(alice, world):
    response = alice.post(URL, {"name": "no-tenant-named"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["tenant"] == world["alpha"].pk
    assert Project.objects.get(name="no-tenant-named").tenant == world["alpha"]


def test_a_caller_with_several_tenants_must_name_one(world):
    Membership.objects.create(user=world["alice"], tenant=world["bravo"],
                              role=Membership.Role.DEVELOPER)
    response = client_for(world["alice_key"]).post(URL, {"name": "which"}, format="json")
    assert response.status_code == 400
    assert "tenant is required" in response.json()["tenant"][0]
    named = client_for(world["alice_key"]).post(URL, {"name": "which", "tenant": world["bravo"].pk},
                                                format="json")
    assert named.status_code == 201 and named.json()["tenant"] == world["bravo"].pk


def test_a_viewer_of_their_one_tenant_is_still_refused(world):
    _token, key = ApiToken.issue(world["charlie"], "ci")
    response = client_for(key).post(URL, {"name": "viewer-project"}, format="json")
    assert response.status_code == 403
    assert not Project.objects.filter(name="viewer-project").exists()
