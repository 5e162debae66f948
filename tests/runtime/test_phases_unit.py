"""Instance start phases: the pure helpers, and what deploys, scale-ups and the
activator's report record (in-memory runtime)."""
import time
from itertools import pairwise

import pytest
from django.utils import translation

from hosting.models import InstanceStart, Version
from hosting.orchestration import phases, reconcile
from tests.runtime.conftest import deployed, publish

NAMES = ["resolve", "pull", "create", "start", "health"]


def test_durations_keep_the_recorded_order():
    recorded = [phases.phase("pull", 10.0, 12.1, bytes=5), phases.phase("create", 12.1, 12.15),
                phases.phase("health", 12.15, 12.4)]
    assert phases.durations(recorded) == {"pull": 2.1, "create": 0.05, "health": 0.25}
    assert phases.total(recorded) == pytest.approx(2.4)
    assert phases.longest(recorded) == ("pull", 2.1)


def test_a_phase_never_ends_before_it_began():
    assert phases.phase("start", 5.0, 4.9) == {"name": "start", "began": 5.0, "ended": 5.0,
                                                "detail": {}}


def test_nothing_recorded_is_zero_and_says_so():
    assert phases.durations([]) == {} and phases.total([]) == 0.0
    assert phases.longest([]) is None


def test_upsert_replaces_a_phase_of_the_same_name_and_orders_by_start():
    first = [phases.phase("pull", 2.0, 3.0), phases.phase("resolve", 1.0, 2.0)]
    again = phases.upsert(first, phases.phase("pull", 2.5, 2.6, cached=True))
    assert [(p["name"], p["began"]) for p in again] == [("resolve", 1.0), ("pull", 2.5)]


def test_a_deploy_records_every_phase_of_its_instance_without_gaps(svc, mem):
    version = deployed(svc, mem)
    start = InstanceStart.objects.get(version=version)
    assert start.kind == "deploy" and start.ordinal == 0
    assert start.container_id == version.instances.get().container_id
    assert [p["name"] for p in start.phases] == NAMES
    pull = start.phases[1]["detail"]
    assert pull["cached"] is False
    own = start.phases[2:]  # create → health follow each other exactly
    assert all(a["ended"] == b["began"] for a, b in pairwise(own))
    assert phases.total(start.phases) >= sum(phases.durations(start.phases).values()) - 0.001


def test_a_cached_image_is_a_pull_marked_cached(svc, mem):
    ref = publish(mem, svc)
    mem.local.add(ref)
    version = deployed(svc, mem)
    pull = next(p for p in InstanceStart.objects.get(version=version).phases if p["name"] == "pull")
    assert pull["detail"] == {"cached": True}


def test_initial_delay_is_its_own_phase(svc, mem):
    version = deployed(svc, mem, initial_delay_seconds=1)
    names = [p["name"] for p in InstanceStart.objects.get(version=version).phases]
    assert names == ["resolve", "pull", "create", "start", "delay", "health"]
    delay = next(p for p in InstanceStart.objects.get(version=version).phases if p["name"] == "delay")
    assert delay["detail"] == {"seconds": 1}


def test_the_ready_instance_gets_an_instance_phases_event_with_code_and_params(svc, mem):
    version = deployed(svc, mem)
    event = version.events.get(kind="instance.phases")
    assert event.message.startswith(f"Instance {version.instances.get().name} is ready ")
    assert "after its start began; the longest phase: " in event.message
    assert event.code == "instance.phases"
    assert [phase["name"] for phase in event.params["phases"]] == NAMES
    assert event.params["phase"] in NAMES and event.params["kind"] == "deploy"


def test_a_scale_up_records_a_scale_start_without_image_phases(svc, mem):
    version = deployed(svc, mem)
    Version.objects.filter(pk=version.pk).update(desired_instances=2)
    reconcile.converge(version.pk)
    start = InstanceStart.objects.get(version=version, ordinal=1)
    assert start.kind == "scale"
    assert [p["name"] for p in start.phases] == ["create", "start", "health"]


def test_starts_outlive_their_instances(svc, mem):
    version = deployed(svc, mem, min_replicas=0, traffic_policy="keep_zero")
    Version.objects.filter(pk=version.pk).update(desired_instances=1)
    reconcile.converge(version.pk)
    Version.objects.filter(pk=version.pk).update(desired_instances=0)
    reconcile.converge(version.pk)
    assert not version.instances.exists()
    assert InstanceStart.objects.filter(version=version).count() == 1


def test_a_second_ready_signal_records_nothing_more(svc, mem):
    version = deployed(svc, mem)
    instance = version.instances.get()
    phases.ready(version, instance)
    assert version.events.filter(kind="instance.phases").count() == 1
    assert [p["name"] for p in phases.latest(instance).phases] == NAMES


def _cold(svc, mem):
    """A min-0 version woken by a request that arrived just before the converge."""
    version = deployed(svc, mem, min_replicas=0, traffic_policy="keep_zero")
    arrived = time.time()
    Version.objects.filter(pk=version.pk).update(desired_instances=1)
    woke = time.time()
    reconcile.converge(version.pk)
    return version, arrived, woke


def test_the_activators_report_makes_a_cold_start_that_adds_up(svc, mem):
    version, arrived, woke = _cold(svc, mem)
    first_byte = time.time() + 0.01
    start = phases.cold_start(version.pk, arrived, woke, first_byte)
    assert start.kind == "cold"
    assert [p["name"] for p in start.phases] == ["wake", "create", "start", "health", "proxy"]
    assert sum(phases.durations(start.phases).values()) == pytest.approx(first_byte - arrived,
                                                                         abs=0.002)
    event = version.events.get(kind="instance.cold_start")
    assert event.message.startswith(f"Cold start of {start.instance_name}: first byte ")
    assert "s after the request arrived; the longest phase: " in event.message
    assert event.code == "instance.cold_start"
    assert event.params["first_byte"] == pytest.approx(first_byte - arrived, abs=0.001)
    with translation.override("zh-hans"):
        assert event.text.startswith(f"{start.instance_name} 冷启动：请求到达 ")


def test_only_the_first_report_of_a_cold_start_counts(svc, mem):
    version, arrived, woke = _cold(svc, mem)
    assert phases.cold_start(version.pk, arrived, woke, time.time()) is not None
    assert phases.cold_start(version.pk, arrived, woke, time.time()) is None
    assert version.events.filter(kind="instance.cold_start").count() == 1


def test_a_report_for_a_start_that_began_before_the_request_is_ignored(svc, mem):
    version, _arrived, _woke = _cold(svc, mem)
    later = time.time() + 5
    assert phases.cold_start(version.pk, later, later, later + 0.1) is None
    assert not version.events.filter(kind="instance.cold_start").exists()


@pytest.mark.parametrize("header, expected", [
    ("t=99500", 99.5),  # the router's reading: the cold start begins there
    ("", 100.0), ("t=", 100.0), ("t=abc", 100.0),  # none or garbage: the activator's own
    ("t=100500", 100.0),  # in the future: a clock problem, ignored
    ("t=1000", 100.0),  # 99 s old: not this request's arrival
])
def test_a_cold_start_begins_when_the_router_received_the_request(header, expected):
    from hosting.activator.app import arrival

    assert arrival(header, now=100.0) == expected
