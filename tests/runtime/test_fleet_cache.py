"""The reconcile pass between two full listings of the engine (hosting/orchestration/fleet.py):
it trusts its last listing, inspects only what it cannot know, and still notices what
changed."""
import pytest

from hosting.models import Version
from hosting.orchestration import fleet, reconcile
from hosting.runtimes.memory import Behaviour
from tests.runtime.conftest import deployed


@pytest.fixture
def cached(settings, mem, monkeypatch):
    """Listings 1 h apart; counts the engine's list and inspect calls."""
    settings.RECONCILE_FULL_LIST_SECONDS = 3600
    settings.HEALTH_PROBE_INTERVAL_SECONDS = 0
    monkeypatch.setattr(fleet, "_fleet", None)
    calls = {"observe": 0, "get": []}
    observe, get = mem.observe, mem.get
    monkeypatch.setattr(mem, "observe", lambda labels: calls.__setitem__(
        "observe", calls["observe"] + 1) or observe(labels))
    monkeypatch.setattr(mem, "get", lambda name: calls["get"].append(name) or get(name))
    return calls


def test_it_lists_the_engine_once_and_then_trusts_what_it_saw(svc, mem, cached):
    deployed(svc, mem, min_replicas=3)
    cached["get"].clear()
    for _ in range(3):
        reconcile.reconcile_all()
    assert cached["observe"] == 1 and cached["get"] == []


def test_an_instance_started_elsewhere_is_inspected_not_replaced(svc, mem, cached):
    first = deployed(svc, mem)
    reconcile.reconcile_all()  # the listing: one container
    second = deployed(svc, mem)  # a deploy in another process starts one more
    cached["get"].clear()
    before = {name: i.observed.id for name, i in mem.instances.items()}
    reconcile.reconcile_all()
    assert cached["observe"] == 1
    assert cached["get"] == [f"h-alpha-{second.name}-0"]
    assert {name: i.observed.id for name, i in mem.instances.items()} == before
    assert first.instances.get().ready and second.instances.get().ready


def test_an_exited_instance_is_replaced_once_its_probe_fails(svc, mem, cached):
    version = deployed(svc, mem, Behaviour())
    reconcile.reconcile_all()
    (name,) = mem.instances
    old = mem.instances[name].observed.id
    mem.kill(name)
    reconcile.reconcile_all()  # the probe fails: the instance is inspected, seen exited
    reconcile.reconcile_all()  # ... and replaced
    assert cached["observe"] == 1
    assert mem.instances[name].observed.id != old and mem.instances[name].observed.running
    assert Version.objects.get(pk=version.pk).events.filter(kind="instance:replaced").exists()


def test_orphans_wait_for_the_next_listing(svc, mem, cached, settings):
    version = deployed(svc, mem)
    reconcile.reconcile_all()
    Version.objects.filter(pk=version.pk).delete()  # its containers are orphans now
    reconcile.reconcile_all()
    assert mem.instances  # not listed again yet
    settings.RECONCILE_FULL_LIST_SECONDS = 0
    reconcile.reconcile_all()
    assert not mem.instances and cached["observe"] == 2


def test_an_instance_replaced_elsewhere_is_inspected_again(svc, mem, cached):
    version = deployed(svc, mem)
    reconcile.reconcile_all()  # the listing
    (name,) = mem.instances
    mem.kill(name)
    reconcile.converge(version.pk)  # another process replaces it (it lists that version)
    cached["get"].clear()
    listings = cached["observe"]
    reconcile.reconcile_all()
    assert cached["observe"] == listings and cached["get"] == [name]
    row = version.instances.get()
    assert row.ready and row.health_failures == 0
