"""Pods read like the local engine's containers: states, exits, OOM and start failures."""
import pytest

from hosting.runtimes.base import ImagePullFailed
from hosting.runtimes.kubernetes import metrics, status
from hosting.runtimes.kubernetes.runtime import parse_log, untar

IMAGE = "127.0.0.1:5000/alpha/svc@sha256:" + "ab" * 32


def pod(state=None, last=None, phase="Running", ip="10.88.0.7", conditions=(), deleting=False,
        restarts=0):
    meta = {"name": "v1-abc", "namespace": "hosting-t1", "uid": "u-1",
            "labels": {"hosting.version": "1", "hosting.instance": "0"},
            "annotations": {status.ANNOTATION_NAME: "h-alpha-svc-001-0"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    cstatus = {"name": "app", "state": state or {}, "restartCount": restarts}
    if last:
        cstatus["lastState"] = {"terminated": last}
    return {"metadata": meta,
            "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]},
            "status": {"phase": phase, "podIP": ip, "containerStatuses": [cstatus],
                       "conditions": list(conditions)}}


@pytest.mark.parametrize("given, state, exit_code, oom", [
    (pod({"running": {"startedAt": "2026-01-01T00:00:01Z"}}), "running", None, False),
    (pod({"waiting": {"reason": "ContainerCreating"}}, phase="Pending", ip=""), "created", None, False),
    (pod({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}},
         last={"exitCode": 3, "reason": "Error"}, restarts=2), "exited", 3, False),
    (pod({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}), "exited", 137, True),
    (pod({"waiting": {"reason": "ImagePullBackOff", "message": "not found"}}, phase="Pending"),
     "exited", None, False),
    (pod({"running": {}}, deleting=True), "removing", None, False),
])
def test_pod_states_read_like_containers(given, state, exit_code, oom):
    seen = status.observed(given)
    assert (seen.state, seen.exit_code, seen.oom_killed) == (state, exit_code, oom)
    assert seen.name == "h-alpha-svc-001-0" and seen.host_port == 8080


def test_a_running_pod_is_reached_on_its_ip():
    seen = status.observed(pod({"running": {"startedAt": "2026-01-01T00:00:01Z"}}))
    assert (seen.host_ip, seen.host_port, seen.id) == ("10.88.0.7", 8080, "u-1")
    assert seen.started_at.year == 2026 and seen.running


def test_a_crash_loop_is_dead_so_it_gets_replaced():
    seen = status.observed(pod({"waiting": {"reason": "CrashLoopBackOff"}}, last={"exitCode": 1}))
    assert seen.dead and "CrashLoopBackOff" in seen.error


def test_an_evicted_pod_is_dead_and_says_why():
    given = pod({"terminated": {"exitCode": 137, "reason": "ContainerStatusUnknown"}},
                phase="Failed")
    given["status"].update(reason="Evicted", message="Pod ephemeral local storage usage "
                                                     "exceeds the total limit of containers 32Mi.")
    seen = status.observed(given)
    assert seen.dead and seen.exit_code == 137 and not seen.oom_killed
    assert seen.error == ("Evicted by the node: Pod ephemeral local storage usage exceeds the "
                          "total limit of containers 32Mi.")
    assert seen.evicted == "Pod ephemeral local storage usage exceeds the total limit of containers 32Mi."
    assert status.is_reported(given) and not status.is_live(given)  # seen until removed


@pytest.mark.parametrize("message, reason", [
    ('failed to pull "x": 127.0.0.1:5000/alpha/svc: not found', "not_found"),
    ("pull access denied, unauthorized: authentication required", "denied"),
    ("dial tcp 127.0.0.1:5000: connect: connection refused", "unavailable"),
])
def test_image_pull_failures_end_the_start_with_a_reason(message, reason):
    failure = status.start_failure(pod({"waiting": {"reason": "ErrImagePull", "message": message}},
                                       phase="Pending"), IMAGE)
    assert isinstance(failure, ImagePullFailed) and failure.reason == reason
    assert IMAGE in str(failure) and message in str(failure)


def test_an_unschedulable_pod_says_why():
    unschedulable = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                     "message": "0/1 nodes are available: 1 Insufficient cpu."}
    failure = status.start_failure(pod({}, phase="Pending", ip="", conditions=[unschedulable]), IMAGE)
    assert "cannot be placed on any node" in str(failure) and "Insufficient cpu" in str(failure)


def test_a_starting_pod_is_no_failure():
    assert status.start_failure(pod({"waiting": {"reason": "ContainerCreating"}}, phase="Pending"), IMAGE) is None


def test_a_quota_refusal_is_read_from_the_replica_set():
    rs = {"status": {"conditions": [{"type": "ReplicaFailure", "status": "True",
                                     "message": 'pods "v1-x" is forbidden: exceeded quota'}]}}
    assert "exceeded quota" in status.replica_failure(rs)
    assert status.replica_failure({"status": {}}) is None


def test_terminating_and_finished_pods_do_not_count():
    assert status.is_live(pod({"running": {}}))
    assert not status.is_live(pod({"running": {}}, deleting=True))
    assert not status.is_live(pod({}, phase="Failed"))


def test_the_kubelet_summary_gives_cores_and_memory_per_pod():
    summary = {"pods": [{"podRef": {"namespace": "hosting-t1", "name": "v1-abc"},
                         "containers": [{"cpu": {"usageNanoCores": 250_000_000},
                                         "memory": {"workingSetBytes": 4096}}]}]}
    usage = metrics.pod_usage(summary)[("hosting-t1", "v1-abc")]
    assert (usage.cpu_cores, usage.memory_bytes) == (0.25, 4096)


def test_a_pod_without_a_cpu_rate_yet_reads_unknown():
    summary = {"pods": [{"podRef": {"namespace": "n", "name": "p"},
                         "containers": [{"cpu": {}, "memory": {"workingSetBytes": 1}}]}]}
    assert metrics.pod_usage(summary)[("n", "p")].cpu_cores == -1.0


def test_the_summary_is_read_once_per_node_for_many_pods():
    calls = []
    cache = metrics.SummaryCache(lambda node: calls.append(node) or {"pods": []})
    assert cache.usage("n1", "ns", "a") is None and cache.usage("n1", "ns", "b") is None
    assert calls == ["n1"]


def test_log_lines_keep_the_kubelets_timestamps():
    lines = parse_log("2026-01-01T00:00:01.123456789Z hello\n2026-01-01T00:00:02Z world\n")
    assert [(line.text, line.timestamp.second) for line in lines] == [("hello", 1), ("world", 2)]


def test_files_from_a_tar_stream_keep_their_absolute_paths():
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"line\n"
        info = tarfile.TarInfo("var/log/app/a.log")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (chunk,) = untar(buffer.getvalue(), {}, 1024).values()
    assert list(untar(buffer.getvalue(), {}, 1024)) == ["/var/log/app/a.log"]
    assert (chunk.data, chunk.start, chunk.size) == (b"line\n", 0, 5)
    tail = untar(buffer.getvalue(), {"/var/log/app/a.log": 2}, 1024)["/var/log/app/a.log"]
    assert (tail.data, tail.start) == (b"ne\n", 2)  # from the offset already read
    assert untar(b"not a tar", {}, 1024) == {}
