"""An engine that starts instances asynchronously (a Kubernetes pod being scheduled or
pulling its image), against the in-memory runtime: the deploy and the reconcile loop
look again later instead of waiting, and the start's record stays right."""
from datetime import timedelta

import pytest
from django.utils import timezone

from hosting.models import InstanceStart, Version
from hosting.orchestration import deploy, lease, phases, reconcile
from hosting.runtimes.memory import Behaviour
from hosting.status import InstanceStatus
from tests.base import deploy_now
from tests.runtime.conftest import deployed, new_version, publish


def slow_version(svc, mem, looks: int = 2, **behaviour):
    publish(mem, svc, Behaviour(pending_looks=looks, **behaviour))
    return new_version(svc)


def test_a_deploy_returns_and_looks_again_while_its_instance_is_still_starting(svc, mem):
    version = slow_version(svc, mem)
    later = deploy.deploy(version.pk)
    assert later is not None and later > timezone.now() - timedelta(seconds=1)
    version.refresh_from_db()
    assert (version.status, version.deploy_phase, version.next_check_at) == ("creating", "start_instances", later)
    assert version.deploy_lease_until is None  # held only while a step runs
    instance = version.instances.get()
    assert (instance.status, instance.ready, instance.started) == (InstanceStatus.PENDING, False, None)
    assert instance.container_id == next(iter(mem.instances.values())).observed.id
    assert not version.events.filter(kind="deploy:start").exists()
    assert not InstanceStart.objects.exists()  # no times to record before it runs


def test_a_slow_start_ends_normal_with_one_start_record_and_one_started_event(svc, mem):
    version = slow_version(svc, mem, looks=3)
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "normal", version.latest_error()
    instance = version.instances.get()
    (observed,) = [i.observed for i in mem.instances.values()]
    assert (instance.status, instance.ready, instance.container_id) == ("running", True, observed.id)
    assert instance.started == observed.started_at  # the engine's own start, not our look
    assert version.events.filter(kind="deploy:start").count() == 1
    (start,) = InstanceStart.objects.filter(version=version)
    assert start.container_id == observed.id
    create, run = (p for p in start.phases if p["name"] in {"create", "start"})
    # The start began when it was first asked for (the row's `created`) and ran when
    # the engine said it did: not when a later look found it running.
    assert start.started_at == instance.created
    assert create["began"] == pytest.approx(instance.created.timestamp(), abs=0.001)
    assert run["ended"] == pytest.approx(observed.started_at.timestamp(), abs=0.001)


def test_a_start_that_fails_while_pending_fails_the_deploy_with_the_engines_reason(svc, mem):
    version = slow_version(svc, mem, looks=1, start_failure="The pod v1-x did not start within 60 s.")
    assert deploy.deploy(version.pk) is not None  # pending: look again
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "deploy_failed"
    assert "The pod v1-x did not start within 60 s." in version.latest_error().message
    assert not mem.instances and not version.instances.exists()


def test_an_instance_that_exits_once_started_fails_the_deploy_as_an_exit(svc, mem):
    version = slow_version(svc, mem, looks=2, exit_code=3, logs=["failing on purpose"])
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "deploy_failed"
    assert "exited with code 3" in version.latest_error().message


def test_the_reconcile_pass_resumes_a_deploy_whose_look_again_message_was_lost(
        svc, mem, settings, task_sends, django_capture_on_commit_callbacks):
    version = slow_version(svc, mem)
    assert deploy.deploy(version.pk) is not None
    overdue = timezone.now() - timedelta(seconds=settings.DEPLOY_OVERDUE_SECONDS + 1)
    Version.objects.filter(pk=version.pk).update(next_check_at=overdue)
    assert list(lease.stalled()) == [Version.objects.get(pk=version.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        reconcile.reconcile_all()
    assert ("deploy_version", (version.pk,)) in task_sends


def test_a_scale_up_that_starts_slowly_is_looked_at_again_until_it_is_ready(svc, mem):
    version = deployed(svc, mem, Behaviour(pending_looks=2))
    assert version.status == "normal", version.latest_error()
    Version.objects.filter(pk=version.pk).update(desired_instances=2)
    later = reconcile.converge(version.pk)
    assert later is not None  # the converge task schedules itself for then
    assert version.instances.get(ordinal=1).status == InstanceStatus.PENDING
    reconcile.converge(version.pk)  # still pending: nothing counted as a failure
    row = version.instances.get(ordinal=1)
    assert (row.status, row.health_failures) == (InstanceStatus.PENDING, 0)
    assert not version.events.filter(kind="instance:replaced").exists()
    reconcile.reconcile_all()  # the fleet pass looks at it too: now it runs
    reconcile.converge(version.pk)
    assert version.instances.get(ordinal=1).ready
    assert InstanceStart.objects.filter(version=version, ordinal=1).count() == 1


def test_the_activators_converge_waits_for_a_slow_start(svc, mem, monkeypatch):
    monkeypatch.setattr(reconcile, "START_POLL_SECONDS", 0)
    version = deployed(svc, mem, Behaviour(pending_looks=3))
    Version.objects.filter(pk=version.pk).update(desired_instances=2)
    reconcile.converge(version.pk, wait=True)
    assert version.instances.filter(ready=True).count() == 2
    start = phases.latest(version.instances.get(ordinal=1))
    assert start is not None and start.kind == "scale"
