"""Arrears and recharge against the in-memory runtime: suspend, restore, idempotence."""
import pytest

from hosting.domain import billing, scaling
from hosting.domain.traffic import set_traffic
from hosting.models import Tenant, Version
from hosting.orchestration import reconcile
from hosting.runtimes.memory import Behaviour
from tests.base import deploy_now
from tests.runtime.conftest import new_version, publish


def normal_version(svc, mem, **config):
    version = new_version(svc, **config)
    deploy_now(version.pk)
    return Version.objects.get(pk=version.pk)


def suspend(tenant, capture):
    """Suspend and run what it enqueued (the worker's converge) right away."""
    with capture(execute=False) as callbacks:
        count = billing.suspend_for_arrears(tenant)
    for version in Version.objects.filter(tenant=tenant, status="suspended"):
        reconcile.converge(version.pk)
    return count, callbacks


def recharge(tenant, capture):
    """Recharge and run the deploys it enqueued, as the worker would."""
    with capture(execute=False) as callbacks:
        count = billing.recharge(tenant)
    adjusting = list(Version.objects.filter(tenant=tenant, status="adjusting"))
    for version in adjusting:
        deploy_now(version.pk)
    return count, callbacks, adjusting


@pytest.fixture
def two_normal(svc, mem):
    """Two normal versions sharing the service's traffic 70/30, one with 2 instances."""
    publish(mem, svc)
    a = normal_version(svc, mem, min_replicas=2)
    b = normal_version(svc, mem)
    set_traffic(svc, {a.pk: 70, b.pk: 30})
    return a, b


def test_arrears_stop_every_running_version_and_keep_the_split(world, svc, mem, two_normal,
                                                                django_capture_on_commit_callbacks):
    a, b = two_normal
    assert len(mem.instances) == 3
    count, callbacks = suspend(world["alpha"], django_capture_on_commit_callbacks)
    assert count == 2 and callbacks  # converge and router sync are enqueued after commit
    assert Tenant.objects.get(pk=world["alpha"].pk).billing_status == "arrears"
    for version, share in ((a, 70), (b, 30)):
        version.refresh_from_db()
        assert version.status == "suspended"
        assert version.desired_instances == 0
        assert version.traffic_percent == share
        event = version.events.filter(kind="status:suspended").get()
        assert "arrears" in event.message and f"({share}%)" in event.message
    assert not mem.instances and not a.instances.exists()


def test_reconcile_keeps_a_suspended_version_at_zero(world, svc, mem, two_normal,
                                                     django_capture_on_commit_callbacks):
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    reconcile.reconcile_all()
    assert not mem.instances


def test_a_suspended_version_is_not_woken(world, svc, mem, two_normal, monkeypatch,
                                          django_capture_on_commit_callbacks):
    from hosting.activator import versions as activator

    monkeypatch.setattr(activator, "close_old_connections", lambda: None)  # the test's own
    a, _b = two_normal
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    a.refresh_from_db()
    assert scaling.wake(a) is False
    with pytest.raises(activator.Unavailable, match="arrears"):
        activator.wake(a.pk)
    assert Version.objects.get(pk=a.pk).desired_instances == 0


def test_recharge_restores_through_adjusting(world, svc, mem, two_normal,
                                             django_capture_on_commit_callbacks):
    a, b = two_normal
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    count, callbacks, adjusting = recharge(world["alpha"], django_capture_on_commit_callbacks)
    assert count == 2 and len(callbacks) == 2  # one deploy task per version, after commit
    assert {v.pk for v in adjusting} == {a.pk, b.pk}
    assert Tenant.objects.get(pk=world["alpha"].pk).billing_status == "active"
    for version, share, instances in ((a, 70, 2), (b, 30, 1)):
        version.refresh_from_db()
        assert version.status == "normal"
        assert version.traffic_percent == share
        assert version.instances.filter(ready=True).count() == instances
        kinds = list(version.events.order_by("id").values_list("kind", flat=True))
        tail = kinds[kinds.index("status:suspended"):]
        assert tail.index("status:adjusting") < tail.index("status:normal")
        assert "Restored" in version.events.filter(kind="status:normal").last().message
    assert len(mem.instances) == 3


def test_recharge_is_idempotent(world, svc, mem, two_normal, django_capture_on_commit_callbacks):
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    recharge(world["alpha"], django_capture_on_commit_callbacks)
    events = Version.objects.get(pk=two_normal[0].pk).events.count()
    count, callbacks, _ = recharge(world["alpha"], django_capture_on_commit_callbacks)
    assert count == 0 and not callbacks
    assert Version.objects.get(pk=two_normal[0].pk).events.count() == events
    assert len(mem.instances) == 3


def test_suspend_is_idempotent(world, svc, mem, two_normal, django_capture_on_commit_callbacks):
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    count, callbacks = suspend(world["alpha"], django_capture_on_commit_callbacks)
    assert count == 0 and not callbacks


def test_an_open_full_version_does_not_take_all_traffic_back(world, svc, mem,
                                                             django_capture_on_commit_callbacks):
    publish(mem, svc)
    a = normal_version(svc, mem, traffic_policy="open_full")
    b = normal_version(svc, mem)
    set_traffic(svc, {a.pk: 40, b.pk: 60})
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    recharge(world["alpha"], django_capture_on_commit_callbacks)
    assert dict(Version.objects.filter(service=svc).values_list("pk", "traffic_percent")) == {
        a.pk: 40, b.pk: 60}


def test_a_min_0_version_with_traffic_comes_back_with_one_instance(
        world, svc, mem, django_capture_on_commit_callbacks):
    publish(mem, svc)
    version = normal_version(svc, mem, min_replicas=0)
    set_traffic(svc, {version.pk: 100})
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    recharge(world["alpha"], django_capture_on_commit_callbacks)
    version.refresh_from_db()
    assert version.status == "normal" and version.instances.filter(ready=True).count() == 1


def test_a_version_that_cannot_come_back_fails_with_its_log(world, svc, mem, two_normal,
                                                            django_capture_on_commit_callbacks):
    a, _b = two_normal
    suspend(world["alpha"], django_capture_on_commit_callbacks)
    publish(mem, svc, Behaviour(exit_code=3, logs=["database is gone"]))  # the image now fails
    mem.local.clear()
    recharge(world["alpha"], django_capture_on_commit_callbacks)
    a.refresh_from_db()
    assert a.status == "deploy_failed"
    error = a.latest_error()
    assert "exited with code 3" in error.message and "database is gone" in error.detail
    assert not mem.instances


def test_creating_and_failed_versions_are_suspended_too(world, svc, mem,
                                                        django_capture_on_commit_callbacks):
    publish(mem, svc)
    creating = new_version(svc)  # deploy not run yet
    failed = new_version(svc, image_tag="nope")
    deploy_now(failed.pk)
    count, _ = suspend(world["alpha"], django_capture_on_commit_callbacks)
    assert count == 2
    deploy_now(creating.pk)  # the deploy task arrives after the suspension: no-op
    assert Version.objects.get(pk=creating.pk).status == "suspended" and not mem.instances
    recharge(world["alpha"], django_capture_on_commit_callbacks)
    assert Version.objects.get(pk=creating.pk).status == "normal"
    assert Version.objects.get(pk=failed.pk).status == "deploy_failed"


def test_arrears_refuse_new_versions_and_redeploys(world, svc, mem,
                                                   django_capture_on_commit_callbacks):
    from hosting.domain.versions import redeploy

    publish(mem, svc)
    failed = new_version(svc, image_tag="nope")
    deploy_now(failed.pk)
    billing.suspend_for_arrears(world["alpha"])
    with pytest.raises(billing.TenantInArrears, match="suspended for arrears"):
        new_version(svc)
    with pytest.raises(billing.TenantInArrears):
        redeploy(Version.objects.get(pk=failed.pk))
    new_version(world["bravo_svc"])  # other tenants are not affected
