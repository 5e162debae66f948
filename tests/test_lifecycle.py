"""The version lifecycle's one transition table, and the traffic split's rules."""
import pytest
from django.core.exceptions import ValidationError

from hosting.domain.traffic import ShareOnUnhealthyVersion, open_full, set_traffic
from hosting.domain.versions import VersionHoldsTraffic, delete_version
from hosting.status import TRANSITIONS, TransitionError, VersionStatus, check_transition
from tests.base import make_version

S = VersionStatus


@pytest.mark.parametrize("current,new", [
    (S.CREATING, S.NORMAL), (S.CREATING, S.DEPLOY_FAILED), (S.NORMAL, S.ABNORMAL),
    (S.DEPLOY_FAILED, S.CREATING), (S.SUSPENDED, S.ADJUSTING), (S.ADJUSTING, S.NORMAL),
    (S.DELETING, S.DELETED),
])
def test_allowed_transitions(current, new):
    check_transition(current, new)


@pytest.mark.parametrize("current,new", [
    (S.DELETED, S.CREATING), (S.DELETING, S.NORMAL), (S.NORMAL, S.CREATING),
    (S.DEPLOY_FAILED, S.NORMAL), (S.SUSPENDED, S.NORMAL),
])
def test_forbidden_transitions(current, new):
    with pytest.raises(TransitionError):
        check_transition(current, new)


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(S.values)


pytestmark = pytest.mark.django_db


def normal(svc, **kw):
    version = make_version(svc, **kw)
    version.set_status(S.NORMAL, "healthy")
    return version


def test_set_status_records_an_event_with_the_error_log(svc):
    version = make_version(svc)
    version.set_status(S.DEPLOY_FAILED, "Container exited.", detail="exit code 3\nboom")
    assert version.latest_error().detail == "exit code 3\nboom"


def test_traffic_split_must_sum_to_100(svc):
    a, b = normal(svc), normal(svc)
    with pytest.raises(ValidationError, match="add up to 100"):
        set_traffic(svc, {a.pk: 80, b.pk: 30})
    a.refresh_from_db()
    assert a.traffic_percent == 0


def test_only_normal_versions_get_a_share(svc):
    a, creating = normal(svc), make_version(svc)
    with pytest.raises(ShareOnUnhealthyVersion):
        set_traffic(svc, {a.pk: 50, creating.pk: 50})


def test_versions_left_out_of_the_split_get_zero(svc):
    a, b = normal(svc), normal(svc)
    set_traffic(svc, {a.pk: 80, b.pk: 20})
    assert set_traffic(svc, {b.pk: 100}) == {a.pk: 0, b.pk: 100}


def test_another_tenants_version_cannot_be_named(world):
    a = normal(world["svc"])
    foreign = normal(world["bravo_svc"])
    with pytest.raises(ValidationError, match="not a live version"):
        set_traffic(world["svc"], {a.pk: 50, foreign.pk: 50})


def test_open_full_moves_all_traffic_to_the_new_version(svc):
    old = normal(svc)
    set_traffic(svc, {old.pk: 100})
    new = normal(svc)
    open_full(new)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.traffic_percent, new.traffic_percent) == (0, 100)


def test_a_version_holding_traffic_cannot_be_deleted_while_another_could_take_it(svc):
    a, b = normal(svc), normal(svc)
    set_traffic(svc, {a.pk: 100})
    with pytest.raises(VersionHoldsTraffic):
        delete_version(a)
    delete_version(b)


def test_a_parent_with_versions_cannot_be_deleted_until_they_are_gone(svc):
    from hosting.domain.catalog import HasVersions, delete_parent
    version = make_version(svc)
    project = svc.application.project
    for parent in (svc, svc.application, project):
        with pytest.raises(HasVersions, match="1 version"):
            delete_parent(parent)
    version = delete_version(version)
    with pytest.raises(HasVersions):  # still deleting: its containers may still run
        delete_parent(svc)
    version.set_status(S.DELETED, "removed")
    delete_parent(project)
    assert not type(svc).objects.filter(pk=svc.pk).exists()
