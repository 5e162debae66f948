"""Tenant isolation on real Podman: names, hardening, networks and the firewall."""
import urllib.request

import pytest

from hosting.runtimes import specs
from hosting.runtimes.base import NameConflict
from hosting.runtimes.local import USERNS_MIN_SIZE, LocalRuntime
from tests.base import tcp_listener, wait_for
from tests.runtime.test_local_engine import spec_for

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(podman, podman_engine):
    return LocalRuntime(podman_engine.docker_host)


def tenant_spec(image, namespace, tenant_id: int, name: str, **overrides):
    labels = {"hosting.namespace": namespace, "hosting.version": f"{tenant_id}{name}",
              "hosting.instance": "0", specs.LABEL_TENANT_ID: str(tenant_id)}
    return spec_for(image, name, namespace, labels=labels, tenant_id=tenant_id,
                    network=f"{namespace}-t{tenant_id}", userns="auto", **overrides)


def status_of(runtime, name: str) -> dict:
    """PID 1's /proc status fields, and its uid map as (inside, outside, count) rows (the
    engine may give a namespace in several pieces of the subordinate range)."""
    container = runtime.client.containers.get(name)
    status = container.exec_run(["/bin/busybox", "cat", "/proc/1/status"]).output.decode()
    fields: dict = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    uid_map = container.exec_run(["/bin/busybox", "cat", "/proc/1/uid_map"]).output.decode()
    fields["uid_map"] = [tuple(map(int, line.split())) for line in uid_map.splitlines()]
    return fields


def test_a_tenant_container_runs_without_privileges(runtime, podman_engine, test_images):
    observed = runtime.ensure(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "hard"))
    assert observed.running
    status = status_of(runtime, observed.name)
    assert status["CapEff"] == "0000000000000000"
    assert status["NoNewPrivs"] == "1"
    inside, outside, _count = status["uid_map"][0]
    assert inside == 0 and outside >= 65536  # uid 0 inside is nobody's uid outside
    host = runtime.client.containers.get(observed.name).attrs["HostConfig"]
    assert host["PidsLimit"] == 256 and not host["Privileged"]
    assert wait_for(lambda: _get(observed))  # the test image still serves


def test_an_auto_user_namespace_is_sized_by_the_platform_in_one_piece(runtime, podman_engine,
                                                                     test_images):
    """The size comes from the image's USER, not from Podman 4.3's measuring of the image
    (it deadlocked the engine under concurrent deploys; runtimes/local.py)."""
    observed = runtime.ensure(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "ids"))
    assert status_of(runtime, observed.name)["uid_map"][0][0::2] == (0, USERNS_MIN_SIZE)
    assert runtime._userns_sizes == {test_images["httpd"]: USERNS_MIN_SIZE}


def test_a_low_port_gets_only_net_bind_service(runtime, podman_engine, test_images):
    spec = tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "low",
                       cap_add=("NET_BIND_SERVICE",))
    observed = runtime.ensure(spec)
    assert status_of(runtime, observed.name)["CapEff"] == f"{1 << 10:016x}"


def test_a_same_named_container_of_another_version_is_neither_adopted_nor_removed(
        runtime, podman_engine, test_images):
    first = runtime.ensure(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "same"))
    intruder = tenant_spec(test_images["httpd"], podman_engine.namespace, 2, "same")
    with pytest.raises(NameConflict, match="left untouched"):
        runtime.ensure(intruder)
    assert runtime.get(first.name).id == first.id and runtime.get(first.name).running


def _ip(runtime, name: str, network: str) -> str:
    attrs = runtime.client.containers.get(name).attrs
    return attrs["NetworkSettings"]["Networks"][network]["IPAddress"]


def _reaches(runtime, name: str, address: str, port: int) -> bool:
    """Whether the container `name` can open a TCP connection to address:port."""
    result = runtime.client.containers.get(name).exec_run(
        ["/bin/busybox", "sh", "-c", f"/bin/busybox nc -w 3 {address} {port} </dev/null"])
    return result.exit_code == 0


@pytest.fixture
def host_listener():
    """A TCP port listening on every host address, as a platform service might."""
    with tcp_listener("0.0.0.0") as port:
        yield port


def test_tenants_cannot_reach_each_other_nor_the_host_but_the_router_reaches_both(
        runtime, podman_engine, test_images, host_listener):
    ns, image = podman_engine.namespace, test_images["httpd"]
    a1 = runtime.ensure(tenant_spec(image, ns, 1, "a1"))
    a2 = runtime.ensure(tenant_spec(image, ns, 1, "a2"))
    b1 = runtime.ensure(tenant_spec(image, ns, 2, "b1"))
    a2_ip, b1_ip = _ip(runtime, a2.name, f"{ns}-t1"), _ip(runtime, b1.name, f"{ns}-t2")
    gateway = ".".join(_ip(runtime, a1.name, f"{ns}-t1").split(".")[:3]) + ".1"
    assert wait_for(lambda: _reaches(runtime, a1.name, a2_ip, 8080))  # own tenant: yes
    assert not _reaches(runtime, a1.name, b1_ip, 8080)  # another tenant: no
    assert not _reaches(runtime, b1.name, a2_ip, 8080)
    assert not _reaches(runtime, a1.name, gateway, host_listener)  # the host: no
    assert not _reaches(runtime, a1.name, gateway, 6379)  # Redis on the host: no
    assert _get(a2) and _get(b1)  # the router (on the host) reaches both


def test_removing_a_tenant_removes_its_network_and_chain(runtime, podman_engine, test_images):
    from hosting.runtimes import firewall

    ns = podman_engine.namespace
    runtime.ensure(tenant_spec(test_images["httpd"], ns, 3, "gone"))
    assert _chain_exists(firewall.chain_name(f"{ns}-t3"))
    runtime.remove_tenant(3)
    assert runtime.client.networks.list(names=[f"{ns}-t3"]) == []
    assert not _chain_exists(firewall.chain_name(f"{ns}-t3"))
    assert runtime.observe({"hosting.namespace": ns}) == []


def _chain_exists(chain: str) -> bool:
    import subprocess

    return subprocess.run(["iptables", "-w", "-S", chain], capture_output=True).returncode == 0


def _get(instance) -> bool:
    try:
        with urllib.request.urlopen(f"http://{instance.host_ip}:{instance.host_port}/", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


SPARSE_GIB = 2
RSS_CAP_MIB = 64  # documented in README "Security model": reading logs stays under it


def test_a_sparse_multi_gib_log_file_leaves_the_worker_memory_bounded(runtime, podman_engine,
                                                                     test_images):
    import resource

    observed = runtime.ensure(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "big"))
    container = runtime.client.containers.get(observed.name)
    made = container.exec_run(["/bin/busybox", "sh", "-c", f"echo first > /www/big.log && "
                               f"/bin/busybox truncate -s {SPARSE_GIB}G /www/big.log && "
                               f"echo last line >> /www/big.log && mkdir /www/mid && "
                               f"/bin/busybox truncate -s 48M /www/mid/mid.log && "
                               f"echo last line >> /www/mid/mid.log"])
    assert made.exit_code == 0, made.output
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, the peak so far
    for path in ("/www/big.log", "/www"):  # the file itself, and the directory holding it
        files = runtime.read_files(observed.name, path, max_bytes=1 << 20)
        chunk = files["/www/big.log"]
        assert chunk.size == (SPARSE_GIB << 30) + len("last line\n")
        assert (chunk.data, chunk.start) == (b"", chunk.size)  # skipped, and the caller knows
    # Below LOG_MAX_FILE_SCAN_BYTES (64 MiB) a file is streamed, keeping its newest bytes.
    chunk = runtime.read_files(observed.name, "/www/mid", max_bytes=1 << 20)["/www/mid/mid.log"]
    assert chunk.data.endswith(b"last line\n") and len(chunk.data) == 1 << 20
    assert chunk.start == chunk.size - (1 << 20)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < RSS_CAP_MIB


def test_a_fenced_network_is_not_checked_again_on_every_start(runtime, podman_engine, test_images,
                                                              monkeypatch):
    """Checking takes iptables' host-wide lock: once per process and trust period."""
    from hosting.runtimes import firewall

    ns, image = podman_engine.namespace, test_images["httpd"]
    runtime.ensure(tenant_spec(image, ns, 4, "first"))
    fenced = []
    monkeypatch.setattr(firewall, "ensure", fenced.append)
    assert runtime.ensure(tenant_spec(image, ns, 4, "second")).running
    assert fenced == []
    assert _chain_exists(firewall.chain_name(f"{ns}-t4"))


def test_a_network_removed_behind_its_back_is_made_and_fenced_again(runtime, podman_engine,
                                                                    test_images):
    from hosting.runtimes import firewall

    ns, image = podman_engine.namespace, test_images["httpd"]
    first = runtime.ensure(tenant_spec(image, ns, 5, "before"))
    runtime.remove(first.name)
    runtime.client.networks.get(f"{ns}-t5").remove()
    firewall.remove(f"{ns}-t5")
    assert runtime.ensure(tenant_spec(image, ns, 5, "after")).running
    assert runtime.client.networks.list(names=[f"{ns}-t5"]) != []
    assert _chain_exists(firewall.chain_name(f"{ns}-t5"))
