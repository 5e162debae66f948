"""Every console page: renders for its tenant, answers 404 for another tenant's ids."""
import pytest
from django.urls import reverse

from hosting.models import Application, Project
from tests.base import make_service, make_version

pytestmark = pytest.mark.django_db


def urls_of(world) -> list[str]:
    """One URL of every page that shows an object, for alpha's objects."""
    svc = world["svc"]
    version = make_version(svc)
    app, project = svc.application, svc.application.project
    return [
        reverse("project", args=[project.pk]), reverse("project_edit", args=[project.pk]),
        reverse("project_delete", args=[project.pk]), reverse("application_new", args=[project.pk]),
        reverse("application", args=[app.pk]), reverse("application_edit", args=[app.pk]),
        reverse("application_delete", args=[app.pk]), reverse("hosting", args=[app.pk]),
        reverse("service_new", args=[app.pk]), reverse("service_name_check", args=[app.pk]) + "?name=x",
        reverse("service", args=[svc.pk]), reverse("service_edit", args=[svc.pk]),
        reverse("service_delete", args=[svc.pk]), reverse("upload_guide", args=[svc.pk]),
        reverse("traffic", args=[svc.pk]), reverse("version_new", args=[svc.pk]),
        reverse("version", args=[version.pk]), reverse("version_logs", args=[version.pk]),
        reverse("version_error", args=[version.pk]), reverse("version_delete", args=[version.pk]),
    ]


def test_every_page_renders_for_its_tenant(world, alice, fake_tags):
    for url in urls_of(world) + [reverse("home"), reverse("project_new"), reverse("tokens")]:
        assert alice.get(url).status_code == 200, url


def test_it_rejects_other_tenants(world, bob):
    for url in urls_of(world):
        assert bob.get(url).status_code == 404, url


def test_it_rejects_other_tenants_posts(world, bob):
    for url in urls_of(world):
        assert bob.post(url, {}).status_code in {404, 405}, url
    assert Project.objects.filter(tenant=world["alpha"]).exists()


def test_pages_need_a_login(world, client):
    response = client.get(reverse("service", args=[world["svc"].pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_login_page_signs_in(world, client):
    response = client.post(reverse("login"), {"username": "alice", "password": "alice-password"})
    assert response.status_code == 302
    assert b"testservice" not in client.get(reverse("home")).content  # projects page
    assert b"proj" in client.get(reverse("home")).content


def test_home_lists_only_the_current_tenants_projects(world, alice):
    Project.objects.create(tenant=world["bravo"], name="bravo-secret")
    body = alice.get(reverse("home")).content.decode()
    assert "proj" in body and "bravo-secret" not in body


def test_breadcrumbs_follow_the_domain(world, alice):
    version = make_version(world["svc"])
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    crumbs = body.split('class="crumbs"')[1].split("</nav>")[0]
    for label in ["Projects", "proj", "app", "Application hosting", "testservice", version.name]:
        assert label in crumbs
    assert crumbs.index("proj") < crumbs.index("testservice") < crumbs.index(version.name)


def test_tenant_switcher_changes_the_current_tenant(world, alice):
    from hosting.models import Membership

    Membership.objects.create(user=world["alice"], tenant=world["bravo"], role="developer")
    other = make_service(world["bravo"], "bravosvc", project="bravo-proj")
    assert alice.get(reverse("service", args=[other.pk])).status_code == 404  # alpha is current
    assert alice.post(reverse("switch_tenant"), {"tenant": world["bravo"].pk}).status_code == 302
    assert alice.get(reverse("service", args=[other.pk])).status_code == 200
    assert "bravo-proj" in alice.get(reverse("home")).content.decode()
    assert alice.get(reverse("service", args=[world["svc"].pk])).status_code == 404


def test_tenant_switcher_rejects_tenants_the_user_is_not_in(world, alice):
    assert alice.post(reverse("switch_tenant"), {"tenant": world["bravo"].pk}).status_code == 404
    assert alice.post(reverse("switch_tenant"), {"tenant": "x"}).status_code == 404


def test_tenant_switcher_shows_the_instance_kind(world, alice):
    body = alice.get(reverse("home")).content.decode()
    assert "Public instance" in body


def test_create_rename_delete_project_and_application(world, alice):
    response = alice.post(reverse("project_new"), {"name": "iot", "description": "things"})
    project = Project.objects.get(tenant=world["alpha"], name="iot")
    assert response["Location"] == reverse("project", args=[project.pk])
    alice.post(reverse("project_edit", args=[project.pk]), {"name": "iot2", "description": ""})
    project.refresh_from_db()
    assert project.name == "iot2"
    alice.post(reverse("application_new", args=[project.pk]), {"name": "backend"})
    app = Application.objects.get(project=project)
    assert app.tenant_id == world["alpha"].pk
    alice.post(reverse("application_edit", args=[app.pk]), {"name": "backend2"})
    app.refresh_from_db()
    assert app.name == "backend2"
    assert alice.post(reverse("application_delete", args=[app.pk])).status_code == 302
    assert alice.post(reverse("project_delete", args=[project.pk])).status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()


def test_duplicate_project_name_is_shown_next_to_the_field(world, alice):
    response = alice.post(reverse("project_new"), {"name": "proj"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_delete_is_refused_while_versions_exist(world, alice):
    make_version(world["svc"])
    project = world["svc"].application.project
    response = alice.post(reverse("project_delete", args=[project.pk]))
    assert response.status_code == 409
    assert Project.objects.filter(pk=project.pk).exists()
    assert "delete the versions first" in response.content.decode()


def test_delete_confirmation_is_a_fragment_for_htmx(world, alice):
    project = world["svc"].application.project
    url = reverse("project_delete", args=[project.pk])
    full = alice.get(url).content.decode()
    fragment = alice.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in fragment
    assert 'action="%s"' % url in fragment
