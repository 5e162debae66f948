"""Viewers (charlie in alpha) see every page, with disabled controls that say why, and
cannot change anything: their POSTs answer 403."""
import pytest
from django.urls import reverse

from hosting.models import ApiToken, Application, Project, Service, Version
from hosting.status import VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


def test_viewers_see_disabled_controls_with_the_reason(world, charlie):
    body = charlie.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert "disabled" in body
    assert "Viewers can look but not change anything" in body
    assert 'href="%s"' % reverse("service_delete", args=[world["svc"].pk]) not in body


def test_owners_see_enabled_controls(world, alice):
    body = alice.get(reverse("service", args=[world["svc"].pk])).content.decode()
    assert 'href="%s"' % reverse("service_delete", args=[world["svc"].pk]) in body
    assert "Viewers can look" not in body


def test_viewers_cannot_change_anything(world, charlie, fake_tags):
    svc = world["svc"]
    version = make_version(svc)
    app, project = svc.application, svc.application.project
    posts = {
        reverse("project_new"): {"name": "new"},
        reverse("project_edit", args=[project.pk]): {"name": "renamed"},
        reverse("project_delete", args=[project.pk]): {},
        reverse("application_new", args=[project.pk]): {"name": "newapp"},
        reverse("application_edit", args=[app.pk]): {"name": "renamed"},
        reverse("application_delete", args=[app.pk]): {},
        reverse("service_new", args=[app.pk]): {"name": "newsvc"},
        reverse("service_edit", args=[svc.pk]): {"description": "x"},
        reverse("service_delete", args=[svc.pk]): {},
        reverse("traffic", args=[svc.pk]): {},
        reverse("version_new", args=[svc.pk]): {"image_tag": "v1", "port": "80",
                                                "traffic_policy": "keep_zero"},
        reverse("version_new_hosting", args=[svc.pk]): {"action": "deploy"},
        reverse("version_delete", args=[version.pk]): {},
        reverse("version_redeploy", args=[version.pk]): {},
    }
    for url, data in posts.items():
        assert charlie.post(url, data).status_code == 403, url
    assert Project.objects.count() == 2 and Application.objects.count() == 2
    assert Service.objects.count() == 2 and Version.objects.count() == 1
    version.refresh_from_db()
    assert version.is_live and version.status == VersionStatus.CREATING
    assert project.name == Project.objects.get(pk=project.pk).name


def test_viewers_may_manage_their_own_api_tokens(world, charlie):
    assert charlie.post(reverse("tokens"), {"name": "ci"}).status_code == 302
    assert ApiToken.objects.filter(user=world["charlie"], name="ci").exists()
