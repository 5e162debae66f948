"""Tenant isolation on the cluster: tenants deployed through the platform are fenced
from each other and from the host by the NetworkPolicy the cluster now enforces
(kube-network-policies, scripts/cluster/network_policies.sh), while the host (the
router) and the platform's own namespace still reach every tenant's pods. Their pods
run in a user namespace of their own (uid 0 inside is an unprivileged uid on the node)
and under the kubelet's pids limit."""
import subprocess
from pathlib import Path

import pytest

from hosting.domain.tenants import create_tenant
from hosting.domain.versions import delete_version
from hosting.models import Version
from hosting.orchestration import deploy, reconcile
from hosting.runtimes.kubernetes import manifests
from tests.base import deploy_now, make_service, make_version, tcp_listener, wait_for
from tests.cluster.conftest import HTTPD_PORT, httpd_pod, pods_of, ready_pod, waiting
from tests.runtime.conftest import new_version

pytestmark = pytest.mark.cluster
NODE_IP = "10.244.0.1"  # scripts/cluster/common.sh
FULL_CAPS = 0x1FFFFFFFFFF  # every capability this kernel knows (CAP_LAST_CAP 40)
POD_PIDS_LIMIT = 256  # scripts/cluster/common.sh, the kubelet's podPidsLimit
IDS_PER_POD = 65536  # the kubelet's default; never the first range (the host's own users)


@pytest.fixture
def node_listener():
    """A TCP listener on the node IP, where a platform service bound to the pod bridge
    would be; yields its port."""
    with tcp_listener(NODE_IP) as port:
        yield port


def deploy_tenant(push_test_image, slug: str, service: str, replicas: int = 1) -> Version:
    tenant, _key = create_tenant(slug, f"{slug}-owner", password=f"{slug}-password-1")
    push_test_image(f"{slug}/{service}", "v1", username=f"{slug}-owner",
                    password=f"{slug}-password-1")
    version = new_version(make_service(tenant, service), env=[("MESSAGE", slug)],
                          min_replicas=replicas)
    deploy_now(version.pk)
    version = Version.objects.get(pk=version.pk)
    assert version.status == "normal", version.latest_error()
    return version


def reaches(cluster, pod: dict, targets: list[tuple[str, int]]) -> dict[tuple[str, int], bool]:
    """Which of the targets a TCP connection from inside the pod opens, all tried at once
    (a dropped SYN costs the 3 s timeout, so one at a time would add up)."""
    script = "\n".join(
        f"(/bin/busybox nc -w 3 {host} {port} </dev/null >/dev/null 2>&1 "
        f"&& echo {host}:{port}:yes || echo {host}:{port}:no) &" for host, port in targets)
    meta = pod["metadata"]
    out = cluster.kubectl("exec", "-n", meta["namespace"], meta["name"], "--",
                          "/bin/busybox", "sh", "-c", script + "\nwait", timeout=60).stdout
    answers = dict(line.rsplit(":", 1) for line in out.split())
    return {(host, port): answers[f"{host}:{port}"] == "yes" for host, port in targets}


def pod_ip(pod: dict) -> str:
    return pod["status"]["podIP"]


def answers_as_nobody(pod: dict, text: str) -> None:
    """The pod's /cgi-bin/env shows `text` to a GET from the host as an unprivileged
    user, as the router runs: the enforcer lets root's own connections through whatever
    the policy says, so this is what shows the policy admits the node. Waited for: the
    enforcer learns a new pod's IP from the API server a moment after the pod has it."""
    code = ("import sys, urllib.request; "
            "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())")
    url = f"http://{pod_ip(pod)}:{HTTPD_PORT}/cgi-bin/env"

    def get() -> bool:
        result = subprocess.run(["/usr/bin/python3", "-c", code, url], user=65534, group=65534,
                                extra_groups=[], capture_output=True, text=True, timeout=30,
                                check=False)
        return text in result.stdout
    wait_for(get, seconds=60, every=1, what=f"{url} answering {text!r} to the host")


def test_hyphenated_tenants_deploy_side_by_side_fenced_from_each_other_and_the_host(
        k8s_platform, push_test_image, registry_server, node_listener):
    acme = deploy_tenant(push_test_image, "acme", "corp-web", replicas=2)
    corp = deploy_tenant(push_test_image, "acme-corp", "web")
    a1, a2 = pods_of(k8s_platform, acme)
    (b1,) = pods_of(k8s_platform, corp)
    assert a1["metadata"]["namespace"] != b1["metadata"]["namespace"]
    # The router's side: the node reaches both tenants, also as an unprivileged user.
    answers_as_nobody(a1, "message=acme\n")
    answers_as_nobody(b1, "message=acme-corp")
    # Within a tenant: allowed (this also shows nc connects when nothing is in the way).
    wait_for(lambda: reaches(k8s_platform, a1, [(pod_ip(a2), HTTPD_PORT)])[(pod_ip(a2), HTTPD_PORT)],
             seconds=60, every=1, what="acme's pods reaching each other")
    # Across tenants, either way: never.
    assert not any(reaches(k8s_platform, a1, [(pod_ip(b1), HTTPD_PORT)]).values())
    assert not any(reaches(k8s_platform, b1, [(pod_ip(a1), HTTPD_PORT),
                                              (pod_ip(a2), HTTPD_PORT)]).values())
    # The host: a listener on the node IP, the platform's services, the kubelet.
    registry_port = int(registry_server.host.rsplit(":", 1)[1])
    host_targets = [(NODE_IP, node_listener), (NODE_IP, 6379), (NODE_IP, 5432),
                    (NODE_IP, registry_port), (NODE_IP, 20250)]
    assert reaches(k8s_platform, a1, host_targets) == {target: False for target in host_targets}
    # Removing one tenant's version leaves the other's pod alone and serving.
    delete_version(acme)
    deploy.remove(acme.pk)
    wait_for(lambda: not pods_of(k8s_platform, acme), seconds=60, what="acme's pods gone")
    assert [pod["metadata"]["uid"] for pod in pods_of(k8s_platform, corp)] == [b1["metadata"]["uid"]]
    answers_as_nobody(b1, "message=acme-corp")


def test_only_the_platforms_namespace_reaches_tenant_pods(
        k8s_platform, push_test_image, k8s_namespace, httpd_image, node_listener):
    acme = deploy_tenant(push_test_image, "acme", "corp-web")
    (tenant_pod,) = pods_of(k8s_platform, acme)
    target = (pod_ip(tenant_pod), HTTPD_PORT)
    k8s_platform.apply(httpd_pod("outsider", httpd_image), k8s_namespace)
    outsider = ready_pod(k8s_platform, k8s_namespace, "outsider")
    # A namespace without any policy: the host listener answers it (so the tenant's
    # refusal above is the policy's), the tenant's pod does not.
    wait_for(lambda: reaches(k8s_platform, outsider, [(NODE_IP, node_listener)])[(NODE_IP, node_listener)],
             seconds=60, every=1, what="an unfenced pod reaching the node listener")
    assert not reaches(k8s_platform, outsider, [target])[target]
    # Labelled as the platform's (where the in-cluster router runs): admitted.
    k8s_platform.kubectl("label", "namespace", k8s_namespace,
                         f"{manifests.PLATFORM_ROLE_LABEL}={manifests.PLATFORM_ROLE}")
    wait_for(lambda: reaches(k8s_platform, outsider, [target])[target], seconds=60, every=1,
             what="the platform's namespace reaching a tenant pod")


def in_pod(cluster, pod: dict, script: str):
    meta = pod["metadata"]
    return cluster.kubectl("exec", "-n", meta["namespace"], meta["name"], "--",
                           "/bin/busybox", "sh", "-c", script, check=False, timeout=60)


def test_a_tenant_pod_runs_with_reduced_capabilities_no_new_privileges_and_a_read_only_root(
        k8s_platform, push_test_image, settings):
    settings.RUNTIME_WRITABLE_PATHS, settings.RUNTIME_TMPFS_MIB = ["/tmp"], 8
    (pod,) = pods_of(k8s_platform, deploy_tenant(push_test_image, "acme", "corp-web"))
    status = in_pod(k8s_platform, pod, "/bin/busybox cat /proc/self/status").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    cap_eff = int(fields["CapEff"].strip(), 16)
    assert cap_eff != FULL_CAPS and cap_eff & (1 << 21) == 0  # CAP_SYS_ADMIN is gone
    assert fields["NoNewPrivs"].strip() == "1"
    # The image cannot be written; /tmp can, a tmpfs capped at RUNTIME_TMPFS_MIB.
    outside = in_pod(k8s_platform, pod, "echo x > /fill")
    assert outside.returncode != 0 and "Read-only file system" in outside.stderr, outside
    inside = in_pod(k8s_platform, pod, "echo written > /tmp/probe && /bin/busybox cat /tmp/probe")
    assert (inside.returncode, inside.stdout) == (0, "written\n"), inside
    mounts = in_pod(k8s_platform, pod, "/bin/busybox cat /proc/mounts").stdout.splitlines()
    (tmp,) = [line.split() for line in mounts if line.split()[1] == "/tmp"]
    assert tmp[2] == "tmpfs" and "size=8192k" in tmp[3].split(","), tmp


def test_an_instance_writing_past_its_disk_limit_is_evicted_and_the_platform_says_why(
        k8s_platform, push_test_image, settings):
    settings.KUBERNETES_DISK_LIMIT_MIB = 16
    settings.RUNTIME_READ_ONLY_ROOT = False  # the writable layer is what fills the disk here
    version = deploy_tenant(push_test_image, "acme", "corp-web")
    (pod,) = pods_of(k8s_platform, version)
    meta = pod["metadata"]
    # 48 MiB into the container's writable layer, three times its limit.
    k8s_platform.kubectl("exec", "-n", meta["namespace"], meta["name"], "--", "/bin/busybox",
                         "dd", "if=/dev/zero", "of=/fill", "bs=1M", "count=48", check=False)

    def evicted():
        now = k8s_platform.get("pod", meta["name"], "-n", meta["namespace"])["status"]
        return now.get("reason") == "Evicted" and now
    # The kubelet measures disk use every 10 s (its eviction manager's period).
    assert "ephemeral" in wait_for(evicted, seconds=120, every=1, what="the pod evicted")["message"]
    reconcile.converge(version.pk, wait=True)  # what the reconcile pass does
    replaced = version.events.filter(kind="instance:replaced").get()
    assert "Evicted by the node" in replaced.detail and "16Mi" in replaced.detail
    why = replaced.params["why"]  # an eviction, not "exited with code 137"
    assert why["code"] == "failure.evicted" and "16Mi" in why["params"]["message"], why
    assert version.instances.get().ready  # a fresh instance took its place


def host_process(pod: dict) -> Path:
    """/proc/<pid> on the node of the pod's container's first process: the one whose
    cgroup (cgroupfs: .../pod<uid>/<container id>) is the container's."""
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    pids = []
    for cgroup in Path("/proc").glob("[0-9]*/cgroup"):
        try:
            lines = cgroup.read_text().splitlines()
        except OSError:  # the process ended meanwhile
            continue
        if any(line.endswith(f"/{container_id}") for line in lines):
            pids.append(int(cgroup.parent.name))
    assert pids, f"no process of container {container_id} on the node"
    return Path("/proc") / str(min(pids))


def pod_pids_cgroup(pod: dict) -> Path:
    """The pod's own pids cgroup on the node (cgroup v1), the parent of its container's."""
    lines = (host_process(pod) / "cgroup").read_text().splitlines()
    (path,) = [line.split(":", 2)[2] for line in lines if line.split(":")[1] == "pids"]
    return Path("/sys/fs/cgroup/pids") / path.lstrip("/").rsplit("/", 1)[0]


def kubelet_id_range() -> range:
    """The host ids the kubelet hands out to pods: the user `kubelet`'s range in
    /etc/subuid (scripts/install_system.sh), below Podman's `containers` range."""
    for line in Path("/etc/subuid").read_text().splitlines():
        name, first, count = line.split(":")
        if name == "kubelet":
            return range(int(first), int(first) + int(count))
    raise AssertionError("no kubelet range in /etc/subuid: run scripts/install_system.sh")


def test_uid_0_in_a_tenant_pod_is_an_unprivileged_uid_on_the_node(k8s_platform, push_test_image):
    (pod,) = pods_of(k8s_platform, deploy_tenant(push_test_image, "acme", "corp-web"))
    uid_map = in_pod(k8s_platform, pod, "/bin/busybox cat /proc/self/uid_map").stdout.split()
    inside, host_uid, count = (int(field) for field in uid_map)  # one range, no more
    assert inside == 0 and host_uid >= IDS_PER_POD and count == IDS_PER_POD, uid_map
    ids = kubelet_id_range()
    assert host_uid in ids and host_uid + count - 1 in ids, (uid_map, ids)
    # The node's view: httpd, uid 0 in its pod, runs as that host uid (real, effective,
    # saved and filesystem uid alike), and so do its group ids.
    status = (host_process(pod) / "status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split() == [str(host_uid)] * 4, fields["Uid"]
    assert all(int(gid) in ids for gid in fields["Gid"].split()), fields["Gid"]
    assert pod["spec"]["hostUsers"] is False  # KUBERNETES_USER_NAMESPACES, on by default


def test_a_tenant_pod_runs_at_most_the_kubelets_pids_limit(k8s_platform, push_test_image):
    (pod,) = pods_of(k8s_platform, deploy_tenant(push_test_image, "acme", "corp-web"))
    cgroup = pod_pids_cgroup(pod)
    # A fork loop inside the pod: the shell gives up ("can't fork") once the pod holds
    # its limit, far short of the 400 sleeps it asked for, which stay until the pod goes
    # (detached from the exec's output, which would otherwise stay open for them).
    loop = in_pod(k8s_platform, pod, "i=0; while [ $i -lt 400 ]; do /bin/busybox sleep 600 "
                                     "</dev/null >/dev/null 2>&1 & i=$((i + 1)); done")
    assert loop.returncode != 0 and "fork" in loop.stderr, loop
    running = int((cgroup / "pids.current").read_text())
    assert POD_PIDS_LIMIT - 16 <= running <= POD_PIDS_LIMIT, running
    assert (cgroup / "pids.max").read_text().strip() == str(POD_PIDS_LIMIT)


def test_a_pod_shaped_like_a_port_80_version_binds_it_with_its_one_capability(
        k8s_platform, k8s_namespace, httpd_image, svc):
    """The pod spec the platform builds for a version on port 80 (user namespace, read-only
    root, memory-backed writable paths, every capability dropped but NET_BIND_SERVICE)
    serves there; without that capability the bind is refused."""
    def port_80_pod(name: str, caps: list[str]) -> dict:
        spec = manifests.pod_spec(make_version(svc, port=80))
        box = spec["containers"][0]
        assert box["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
        box["securityContext"]["capabilities"]["add"] = caps
        box.update(image=httpd_image, imagePullPolicy="Never",
                   command=["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"])
        del box["envFrom"], spec["imagePullSecrets"]  # a bare pod: no secrets of a version
        spec["terminationGracePeriodSeconds"] = 1
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    k8s_platform.apply(port_80_pod("with-cap", ["NET_BIND_SERVICE"]), k8s_namespace)
    k8s_platform.apply(port_80_pod("without-cap", []), k8s_namespace)
    pod = ready_pod(k8s_platform, k8s_namespace, "with-cap")
    assert pod["spec"]["hostUsers"] is False
    wait_for(lambda: waiting(k8s_platform, k8s_namespace, "without-cap").get("reason") == "CrashLoopBackOff",
             seconds=120, every=0.5, what="the pod without NET_BIND_SERVICE crashing")
