"""Operators see rollouts in the admin, and cannot edit them."""
import pytest
from django.urls import reverse

from hosting.models import Rollout, Version
from tests.base import make_version

pytestmark = pytest.mark.django_db


def test_rollouts_are_listed_and_shown_read_only(client, world, django_user_model, task_sends):
    django_user_model.objects.create_superuser("op", password="op-password")
    client.login(username="op", password="op-password")
    version = make_version(world["svc"], traffic_policy="gradual")
    Version.objects.filter(pk=version.pk).update(status="normal")
    rollout = Rollout.objects.create(service=version.service, version=version, options={"steps": [100]},
                                     reason="5xx 7.3% over 412 requests at 10%", state="rolled_back")
    listing = client.get(reverse("admin:hosting_rollout_changelist"))
    assert listing.status_code == 200 and "5xx 7.3% over 412 requests" in listing.content.decode()
    detail = client.get(reverse("admin:hosting_rollout_change", args=[rollout.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
