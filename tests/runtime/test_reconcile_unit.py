"""The reconcile loop against the in-memory runtime."""
from hosting.domain.versions import delete_version
from hosting.models import Version
from hosting.orchestration import observe, reconcile, turns
from hosting.runtimes.base import InstanceSpec
from hosting.runtimes.memory import Behaviour
from tests.runtime.conftest import deployed, new_version, publish


def test_a_killed_instance_is_replaced(svc, mem):
    version = deployed(svc, mem)
    (name, before), = mem.instances.items()
    mem.kill(name)
    reconcile.reconcile_all()
    assert mem.instances[name].observed.id != before.observed.id
    assert mem.instances[name].observed.running
    assert version.events.filter(kind="instance:replaced").exists()
    assert version.instances.get().ready


def test_a_vanished_instance_is_replaced(svc, mem):
    version = deployed(svc, mem)
    mem.instances.clear()
    reconcile.reconcile_all()
    assert len(mem.instances) == 1 and version.instances.get().ready


def test_it_converges_to_desired_instances(svc, mem):
    version = deployed(svc, mem)
    Version.objects.filter(pk=version.pk).update(desired_instances=3)
    reconcile.converge(version.pk)
    assert version.instances.filter(ready=True).count() == 3 == len(mem.instances)
    Version.objects.filter(pk=version.pk).update(desired_instances=1)
    reconcile.converge(version.pk)
    assert list(version.instances.values_list("ordinal", flat=True)) == [0]
    assert len(mem.instances) == 1


def test_it_removes_orphans_and_instances_of_deleted_versions(svc, mem):
    version = deployed(svc, mem)
    orphan = InstanceSpec(name="stray", instance_name="stray", image=version.image_ref,
                          labels={"hosting.namespace": "hosting", "hosting.version": "999999"},
                          env={}, port=8080, nano_cpus=1, mem_limit=1)
    mem.ensure(orphan)
    reconcile.reconcile_all()
    assert "stray" not in mem.instances and len(mem.instances) == 1
    Version.objects.filter(pk=version.pk).update(traffic_percent=0)
    delete_version(version)
    reconcile.reconcile_all()  # the delete task was lost: reconcile finishes it
    assert not mem.instances
    assert Version.objects.get(pk=version.pk).status == "deleted"


def test_it_leaves_containers_of_other_namespaces_alone(svc, mem):
    version = deployed(svc, mem)
    foreign = InstanceSpec(name="theirs", instance_name="theirs", image=version.image_ref,
                           labels={"hosting.namespace": "someone-else", "hosting.version": "1"},
                           env={}, port=8080, nano_cpus=1, mem_limit=1)
    mem.ensure(foreign)
    reconcile.reconcile_all()
    assert "theirs" in mem.instances


def test_a_version_whose_instances_fail_health_turns_abnormal_and_back(svc, mem, settings):
    settings.HEALTH_PROBE_INTERVAL_SECONDS = 0  # a healthy instance's turn comes every pass
    version = deployed(svc, mem)
    (inst,) = mem.instances.values()
    inst.behaviour.http_status = 500
    for _ in range(3):
        reconcile.reconcile_all()
    version.refresh_from_db()
    assert version.status == "abnormal"
    assert "health checks" in version.latest_error().message
    inst.behaviour.http_status = 200
    reconcile.reconcile_all()
    version.refresh_from_db()
    assert version.status == "normal"


def test_a_crash_looping_version_turns_abnormal(svc, mem):
    version = deployed(svc, mem)
    (name,) = mem.instances
    for _ in range(3):
        mem.kill(name)
        mem.instances[name].behaviour.exit_code = 1  # the replacement dies at once too
        reconcile.reconcile_all()
    version.refresh_from_db()
    assert version.status == "abnormal"


def test_it_records_cpu_relative_to_the_spec_and_memory(svc, mem):
    version = deployed(svc, mem, Behaviour(cpu_cores=0.25, memory_bytes=5 << 20),
                             resource_spec="c0.5-m1")
    observe.collect(everything=True)
    instance = version.instances.get()
    assert instance.cpu_percent == 50.0 and instance.memory_bytes == 5 << 20


def test_it_leaves_a_deploying_version_to_its_deploy(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    reconcile.reconcile_all()
    assert not mem.instances
    assert Version.objects.get(pk=version.pk).status == "creating"


def test_a_failed_version_keeps_no_instance(svc, mem):
    version = deployed(svc, mem, Behaviour(exit_code=1))
    assert version.status == "deploy_failed"
    reconcile.reconcile_all()
    assert not mem.instances


def test_a_healthy_instance_is_probed_in_its_turn_not_on_every_pass(svc, mem, settings,
                                                                   monkeypatch):
    settings.HEALTH_PROBE_INTERVAL_SECONDS = 3600
    version = deployed(svc, mem, min_replicas=3)
    probed = []
    original = mem.probe
    monkeypatch.setattr(mem, "probe", lambda *a: probed.append(a[0].name) or original(*a))
    monkeypatch.setattr(reconcile, "probes", reconcile.Turns())
    monkeypatch.setattr(turns.random, "uniform", lambda a, b: 0)  # all just probed
    for _ in range(3):
        reconcile.reconcile_all()
    assert probed == []
    name = next(iter(mem.instances))
    mem.instances[name].behaviour.http_status = 500
    reconcile.probes.last[version.instances.get(ordinal=0).pk] = float("-inf")  # its turn came
    reconcile.reconcile_all()  # fails once: from now on it is probed on every pass
    reconcile.reconcile_all()
    assert probed == [name, name]


def test_usage_of_versions_with_traffic_is_sampled_on_every_tick(svc, mem, settings, monkeypatch):
    settings.OBSERVE_INTERVAL_SECONDS = 3600
    monkeypatch.setattr(observe, "turns", observe.Turns())
    monkeypatch.setattr(turns.random, "uniform", lambda a, b: 0)  # every turn just came
    idle = deployed(svc, mem, Behaviour(cpu_cores=0.25), resource_spec="c0.5-m1")
    busy = deployed(svc, mem, Behaviour(cpu_cores=0.25), resource_spec="c0.5-m1",
                    traffic_policy="open_full")
    assert observe.collect() == 1
    assert busy.instances.get().cpu_percent == 50.0
    assert idle.instances.get().cpu_percent is None
