"""The stall rule: which deploys the reconcile pass starts again (in-memory runtime)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hosting import tasks
from hosting.models import Version, VersionEvent
from hosting.orchestration import deploy, lease, reconcile
from tests.runtime.conftest import new_version, publish

STALL = 10.0


@pytest.fixture(autouse=True)
def stall(settings):
    settings.DEPLOY_STALL_SECONDS = STALL


@pytest.fixture
def queued(monkeypatch):
    """Deploy tasks the reconcile pass queues (instead of sending them to Redis)."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.deploy_version, "delay", sent.append)
    return sent


def later(seconds: float = STALL + 1):
    return timezone.now() + timedelta(seconds=seconds)


def is_stalled(version, now=None) -> bool:
    return lease.stalled(now).filter(pk=version.pk).exists()


def age(version, seconds: float = STALL + 1) -> None:
    """Move the version's last status change and every event into the past."""
    past = timezone.now() - timedelta(seconds=seconds)
    Version.objects.filter(pk=version.pk).update(status_changed=past)
    VersionEvent.objects.filter(version=version).update(created=past)


def test_a_just_created_version_is_not_stalled(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    assert not is_stalled(version)
    assert is_stalled(version, later())  # its message never arrived: no lease, no event


def test_a_recent_event_means_progress(svc, mem):
    version = new_version(svc)
    age(version)
    assert is_stalled(version)
    version.record("deploy:pull", "Image pulled.")
    assert not is_stalled(version)


def test_a_live_lease_means_a_deploy_is_at_work(svc, mem):
    version = new_version(svc)
    assert lease.acquire(version.pk)
    assert not is_stalled(version, later(STALL / 2))
    assert is_stalled(version, later())  # the worker stopped renewing: it is dead


def test_only_creating_and_adjusting_versions_stall(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    deploy.deploy(version.pk)
    assert Version.objects.get(pk=version.pk).status == "normal"
    assert not is_stalled(version, later())


def test_a_second_delivery_returns_while_the_lease_is_held(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    assert lease.acquire(version.pk)
    deploy.deploy(version.pk)
    assert not mem.instances
    assert Version.objects.get(pk=version.pk).status == "creating"


def test_a_finished_deploy_gives_its_lease_back(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    deploy.deploy(version.pk)
    assert Version.objects.get(pk=version.pk).deploy_lease_until is None


def test_reconcile_resumes_a_lost_deploy_once_per_stall_period(svc, mem, queued,
                                                              django_capture_on_commit_callbacks):
    version = new_version(svc)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile.reconcile_all()
    assert queued == []
    age(version)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile.reconcile_all()
        reconcile.reconcile_all()  # the resume event restarted the stall clock
    assert queued == [version.pk]
    assert version.events.filter(kind="deploy:resume").count() == 1


def test_a_deploy_killed_after_starting_is_resumed_with_its_container(
        svc, mem, queued, django_capture_on_commit_callbacks):
    publish(mem, svc)
    version = new_version(svc, min_replicas=2, traffic_policy="open_full")
    assert lease.acquire(version.pk)
    for phase in (deploy.resolve_image, deploy.pull_image, deploy.start_instances):
        phase(Version.objects.get(pk=version.pk), mem)
    # ... and the worker is killed here: no release, no more renewals.
    containers = {name: item.observed.id for name, item in mem.instances.items()}
    assert len(containers) == 2
    with django_capture_on_commit_callbacks(execute=True):
        reconcile.reconcile_all()
    assert queued == []  # the lease still runs
    age(version)
    Version.objects.filter(pk=version.pk).update(deploy_lease_until=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        reconcile.reconcile_all()
    assert queued == [version.pk]
    deploy.deploy(version.pk)  # the queued task
    version.refresh_from_db()
    assert version.status == "normal"
    assert {name: item.observed.id for name, item in mem.instances.items()} == containers
    assert version.instances.filter(ready=True).count() == 2


def test_a_deploy_waiting_for_its_delay_holds_no_worker_and_is_not_stalled(svc, mem, settings):
    """InitialDelaySeconds longer than the stall period: the row says when to look again."""
    settings.DEPLOY_OVERDUE_SECONDS = 5.0
    publish(mem, svc)
    version = new_version(svc, initial_delay_seconds=60)
    look = deploy.deploy(version.pk)
    version.refresh_from_db()
    assert look is not None and version.next_check_at == look
    assert (look - timezone.now()).total_seconds() > 50
    assert version.deploy_phase == "wait_initial_delay"
    assert version.deploy_lease_until is None  # no worker is busy with it
    age(version)
    assert not is_stalled(version)  # nothing recorded for long, but its look is ahead
    assert not is_stalled(version, look)
    assert is_stalled(version, look + timedelta(seconds=6))  # that message was lost


def test_an_early_or_duplicate_message_does_nothing(svc, mem):
    publish(mem, svc)
    version = new_version(svc, initial_delay_seconds=60)
    look = deploy.deploy(version.pk)
    events = version.events.count()
    assert deploy.deploy(version.pk) is None  # the message scheduled for `look` does it
    version.refresh_from_db()
    assert version.next_check_at == look and version.events.count() == events


def test_the_look_after_the_delay_finishes_the_deploy(svc, mem):
    publish(mem, svc)
    version = new_version(svc, initial_delay_seconds=60)
    deploy.deploy(version.pk)
    past = timezone.now() - timedelta(seconds=61)
    version.instances.update(started=past)
    Version.objects.filter(pk=version.pk).update(next_check_at=timezone.now())
    assert deploy.deploy(version.pk) is None
    version.refresh_from_db()
    assert version.status == "normal" and version.next_check_at is None
    assert version.instances.get().ready
