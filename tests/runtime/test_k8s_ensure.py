"""KubernetesRuntime.ensure does one round of API calls and returns: a pod that is not
running yet is a starting instance, never a wait; a later round fails a start that went
wrong or outlived KUBERNETES_START_TIMEOUT_SECONDS (against a fake API server)."""
from datetime import UTC, datetime, timedelta

import pytest

from hosting.runtimes import specs
from hosting.runtimes.base import ImagePullFailed, RuntimeFailure
from hosting.runtimes.kubernetes import names, runtime, status
from hosting.runtimes.kubernetes.runtime import KubernetesRuntime
from tests.runtime.conftest import DIGEST, new_version
from tests.runtime.fake_cluster import FakeCluster

RUNNING = {"phase": "Running", "podIP": "10.244.0.9", "containerStatuses": [
    {"name": "app", "state": {"running": {"startedAt": "2026-11-30T10:00:05Z"}}}]}


@pytest.fixture
def cluster(monkeypatch, settings):
    from hosting.registry import client as registry

    settings.KUBERNETES_START_TIMEOUT_SECONDS = 60
    monkeypatch.setattr(registry, "pull_auth", lambda repo: {"username": "u", "password": "p"})
    return FakeCluster()


@pytest.fixture
def k8s(cluster):
    backend = KubernetesRuntime(api=object())
    backend._applier = cluster
    return backend


@pytest.fixture
def version(svc):
    version = new_version(svc)
    version.image_digest = DIGEST
    version.save(update_fields=["image_digest"])
    return version


def deployment(cluster, version) -> dict:
    return cluster.objects[f"/apis/apps/v1/namespaces/{namespace(version)}/deployments/v{version.pk}"]


def namespace(version) -> str:
    return names.namespace(version.service.tenant_id)


def add_pod(cluster, version, age_seconds=0, status=None):
    return cluster.add_pod(namespace(version), specs.version_selector(version.pk), age_seconds, status)


def asked_at(cluster, version):
    return (deployment(cluster, version)["metadata"].get("annotations") or {}).get(runtime.ANNOTATION_ASKED)


def test_with_no_pod_it_asks_for_a_replica_and_answers_not_yet_at_once(k8s, cluster, version):
    seen = k8s.ensure(specs.instance_spec(version, 0))
    assert (seen.starting, seen.running, seen.dead, seen.id) == (True, False, False, "")
    assert deployment(cluster, version)["spec"]["replicas"] == 1
    assert asked_at(cluster, version)  # noted, so a later round can time it out
    k8s.ensure(specs.instance_spec(version, 0))  # asking again adds no replica
    assert deployment(cluster, version)["spec"]["replicas"] == 1


def test_ordinals_asked_for_in_one_pass_get_a_replica_each(k8s, cluster, version):
    for ordinal in range(3):
        assert k8s.ensure(specs.instance_spec(version, ordinal)).starting
    assert deployment(cluster, version)["spec"]["replicas"] == 3


def test_a_pending_pod_is_bound_and_reported_starting_until_it_runs(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    pod = add_pod(cluster, version, status={"phase": "Pending"})
    seen = k8s.ensure(spec)
    assert (seen.starting, seen.id, seen.name) == (True, pod["metadata"]["uid"], spec.name)
    assert seen.created_at is not None and seen.started_at is None
    (stored,) = cluster.pods()
    assert stored["metadata"]["labels"][specs.LABEL_INSTANCE] == "0"
    assert stored["metadata"]["annotations"][status.ANNOTATION_NAME] == spec.name
    assert asked_at(cluster, version) is None  # the bind answered the ask
    stored["status"] = RUNNING
    cluster.objects[f"/api/v1/namespaces/{namespace(version)}/pods/{stored['metadata']['name']}"] = stored
    seen = k8s.ensure(spec)
    assert seen.running and seen.id == pod["metadata"]["uid"] and seen.host_ip == "10.244.0.9"
    assert seen.started_at == datetime(2026, 11, 30, 10, 0, 5, tzinfo=UTC)


def test_a_bind_that_races_the_kubelets_status_update_binds_on_a_fresh_read(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    pod = add_pod(cluster, version)
    cluster.status_updates = 2  # the pod's status changed between the listing and the bind
    seen = k8s.ensure(spec)
    assert seen.starting and seen.id == pod["metadata"]["uid"]
    assert deployment(cluster, version)["spec"]["replicas"] == 1  # no replica too many


def test_a_pod_another_ordinal_bound_first_is_left_to_it(k8s, cluster, version):
    k8s.ensure(specs.instance_spec(version, 0))
    pod = add_pod(cluster, version)
    listed = cluster.pods

    def bound_meanwhile(selector=""):  # ordinal 1's ensure (another worker) binds it first
        found = listed(selector)
        stored = cluster.objects[f"/api/v1/namespaces/{namespace(version)}/pods/{pod['metadata']['name']}"]
        stored["metadata"]["labels"][specs.LABEL_INSTANCE] = "1"
        stored["metadata"]["resourceVersion"] += "-bound"
        return found

    cluster.pods = bound_meanwhile
    assert k8s.ensure(specs.instance_spec(version, 0)).id == ""  # not yet: asks for its own
    assert deployment(cluster, version)["spec"]["replicas"] == 2


def test_an_image_pull_error_ends_the_start_and_removes_the_pod(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    add_pod(cluster, version, status={"phase": "Pending", "containerStatuses": [{"name": "app", "state": {
        "waiting": {"reason": "ErrImagePull", "message": "failed to resolve reference: not found"}}}]})
    with pytest.raises(ImagePullFailed) as failed:
        k8s.ensure(spec)
    assert failed.value.reason == "not_found" and "could not find the image" in str(failed.value)
    assert cluster.pods() == [] and deployment(cluster, version)["spec"]["replicas"] == 0


def test_an_unschedulable_pod_ends_the_start_with_the_schedulers_words(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    add_pod(cluster, version, status={"phase": "Pending", "conditions": [{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/1 nodes are available: 1 Insufficient cpu."}]})
    with pytest.raises(RuntimeFailure, match="cannot be placed on any node: 0/1 nodes"):
        k8s.ensure(spec)
    assert cluster.pods() == []


def test_a_pod_still_pending_past_the_start_timeout_of_its_creation_fails(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    add_pod(cluster, version, age_seconds=30, status={"phase": "Pending"})
    assert k8s.ensure(spec).starting  # 30 s of 60: still starting
    (pod,) = cluster.pods()
    pod["metadata"]["creationTimestamp"] = (datetime.now(UTC) - timedelta(seconds=61)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    cluster.objects[f"/api/v1/namespaces/{namespace(version)}/pods/{pod['metadata']['name']}"] = pod
    with pytest.raises(RuntimeFailure) as failed:
        k8s.ensure(spec)
    assert str(failed.value) == f"The pod {pod['metadata']['name']} did not start within 60 s."
    assert cluster.pods() == []


def test_no_pod_within_the_start_timeout_of_the_ask_fails_the_start(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    long_ago = (datetime.now(UTC) - timedelta(seconds=61)).isoformat()
    deployment(cluster, version)["metadata"]["annotations"][runtime.ANNOTATION_ASKED] = long_ago
    with pytest.raises(RuntimeFailure) as failed:
        k8s.ensure(spec)
    assert str(failed.value) == f"No pod of v{version.pk} appeared within 60 s."


def test_a_replica_the_controller_may_not_create_fails_the_start_with_its_reason(k8s, cluster, version):
    cluster.replica_sets.append({"status": {"conditions": [{
        "type": "ReplicaFailure", "status": "True",
        "message": 'pods "v1-x" is forbidden: exceeded quota: quota, requested: pods=1'}]}})
    with pytest.raises(RuntimeFailure, match="Kubernetes refused to create the instance: .*exceeded quota"):
        k8s.ensure(specs.instance_spec(version, 0))


def test_a_bound_running_pod_is_returned_without_any_write(k8s, cluster, version):
    spec = specs.instance_spec(version, 0)
    k8s.ensure(spec)
    add_pod(cluster, version, status=RUNNING)
    assert k8s.ensure(spec).running
    writes = len(cluster.writes)
    assert k8s.ensure(spec).running
    assert len(cluster.writes) == writes


def test_removing_an_instance_whose_pod_never_came_takes_its_replica_back(k8s, cluster, version):
    k8s.ensure(specs.instance_spec(version, 0))
    add_pod(cluster, version, status=RUNNING)
    assert k8s.ensure(specs.instance_spec(version, 0)).running
    waiting = specs.instance_spec(version, 1)
    assert k8s.ensure(waiting).starting and deployment(cluster, version)["spec"]["replicas"] == 2
    k8s.remove(waiting.name)  # scaled down (or the deploy failed) before its pod came
    assert deployment(cluster, version)["spec"]["replicas"] == 1
    k8s.remove(waiting.name)  # never below the pods bound to an instance
    assert deployment(cluster, version)["spec"]["replicas"] == 1
    assert [p["metadata"]["labels"][specs.LABEL_INSTANCE] for p in cluster.pods()] == ["0"]


def test_engine_names_give_back_their_ids(version, settings):
    name = specs.instance_spec(version, 3).name
    assert specs.ids_of_name(name) == (version.tenant_id, version.pk, 3)
    settings.RUNTIME_NAMESPACE = "tk-h-t9-v9-9"  # a prefix that looks like a name
    assert specs.ids_of_name(specs.instance_spec(version, 0).name) == (version.tenant_id, version.pk, 0)
    assert specs.ids_of_name("someone-elses-container") is None
