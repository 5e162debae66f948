"""Generated names, sequences that never reuse a number, and the 10-version cap."""
import pytest

from hosting.domain.config import VersionConfig
from hosting.domain.versions import VersionLimitReached, create_version, delete_version
from hosting.models import Version
from tests.base import make_version

pytestmark = pytest.mark.django_db


def test_names_are_the_service_name_and_a_three_digit_sequence(svc):
    names = [make_version(svc).name for _ in range(3)]
    assert names == ["testservice-001", "testservice-002", "testservice-003"]


def test_a_deleted_versions_number_is_never_reused(svc):
    versions = [make_version(svc) for _ in range(2)]
    delete_version(versions[1])
    assert make_version(svc).name == "testservice-003"


def test_the_eleventh_version_is_refused_with_a_message_that_says_so(svc):
    for _ in range(10):
        make_version(svc)
    with pytest.raises(VersionLimitReached) as caught:
        make_version(svc)
    assert "10 versions" in caught.value.messages[0]
    assert Version.objects.filter(service=svc).count() == 10


def test_deleted_versions_do_not_count_toward_the_ten(svc):
    versions = [make_version(svc) for _ in range(10)]
    delete_version(versions[0])
    assert make_version(svc).name == "testservice-011"


def test_sequences_are_per_service(world):
    make_version(world["svc"])
    assert make_version(world["bravo_svc"]).name == "othersvc-001"


def test_delete_keeps_the_events_and_frees_the_slot(svc):
    version = make_version(svc)
    delete_version(version)
    version.refresh_from_db()
    assert version.status == "deleting" and version.deleted_at is not None
    assert version.events.filter(kind="created").exists()
    assert svc.versions.live().count() == 0


def test_deleting_twice_is_harmless(svc):
    version = make_version(svc)
    delete_version(version)
    delete_version(version)
    assert version.events.filter(kind="status:deleting").count() == 1


def test_the_same_idempotency_key_returns_the_same_version(svc):
    first = create_version(svc, VersionConfig(image_tag="v1"), idempotency_key="k1")
    again = create_version(svc, VersionConfig(image_tag="v1"), idempotency_key="k1")
    assert first.pk == again.pk and Version.objects.count() == 1


def test_deploy_is_enqueued_only_after_commit(svc, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    from hosting import tasks
    monkeypatch.setattr(tasks.deploy_version, "delay", lambda vid: sent.append(vid))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = make_version(svc)
        assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [version.pk]


def test_only_a_failed_version_can_be_redeployed(svc):
    from hosting.domain.versions import NotRedeployable, redeploy
    version = make_version(svc)
    with pytest.raises(NotRedeployable):
        redeploy(version)
    version.set_status("deploy_failed", "boom", detail="log")
    assert redeploy(version).status == "creating"
