"""The local runtime on real Podman (no registry): run, inspect, observe, logs, stop."""
import time
import urllib.request

import pytest

from hosting.runtimes.base import InstanceSpec
from hosting.runtimes.local import LocalRuntime
from hosting.runtimes.streams import listening_ports_from_proc
from tests.base import wait_for

pytestmark = pytest.mark.integration


def spec_for(image: str, name: str, namespace: str, **overrides) -> InstanceSpec:
    values = dict(name=f"{namespace}-{name}", instance_name=name, image=image,
                  labels={"hosting.namespace": namespace, "hosting.version": "1",
                          "hosting.instance": "0"},
                  env={"MESSAGE": "héllo wörld", "VERSION": "v1"}, port=8080,
                  nano_cpus=500_000_000, mem_limit=256 * 2**20)
    values.update(overrides)
    return InstanceSpec(**values)


@pytest.fixture
def runtime(podman, podman_engine):
    return LocalRuntime(podman_engine.docker_host)


def test_it_runs_an_instance_with_env_limits_labels_unpublished(runtime, podman, podman_engine,
                                                               test_images):
    spec = spec_for(test_images["httpd"], "env", podman_engine.namespace)
    observed = runtime.ensure(spec)
    assert observed.running and observed.host_port
    attrs = podman.containers.get(spec.name).attrs
    env = dict(item.split("=", 1) for item in attrs["Config"]["Env"])
    assert env["MESSAGE"] == "héllo wörld" and env["VERSION"] == "v1"
    assert attrs["HostConfig"]["NanoCpus"] == 500_000_000
    assert attrs["HostConfig"]["Memory"] == 256 * 2**20
    assert attrs["HostConfig"]["MemorySwap"] == 256 * 2**20
    assert attrs["Config"]["Labels"]["hosting.namespace"] == podman_engine.namespace
    # Nothing published on the host: the app is reached at the container's own address.
    assert not any(attrs["NetworkSettings"]["Ports"].values())
    [network] = attrs["NetworkSettings"]["Networks"].values()
    assert observed.host_ip == network["IPAddress"]
    assert observed.host_port == 8080
    body = wait_for(lambda: _get(f"http://{observed.host_ip}:8080/cgi-bin/env"))
    assert "message=héllo wörld" in body
    assert runtime.ensure(spec).id == observed.id  # idempotent


def test_it_starts_the_container_an_interrupted_call_left_created(runtime, podman,
                                                                    podman_engine, test_images):
    # An engine killed between create and start leaves the container created, never run.
    spec = spec_for(test_images["httpd"], "created", podman_engine.namespace)
    podman.containers.create(spec.image, name=spec.name, labels=spec.labels,
                             ports={"8080/tcp": ("127.0.0.1", None)})
    observed = runtime.ensure(spec)
    assert observed.running and observed.host_port
    assert wait_for(lambda: _get(f"http://{observed.host_ip}:{observed.host_port}/"))


def test_it_observes_by_label_and_removes(runtime, podman_engine, test_images):
    spec = spec_for(test_images["httpd"], "obs", podman_engine.namespace)
    runtime.ensure(spec)
    found = runtime.observe({"hosting.namespace": podman_engine.namespace})
    assert [o.name for o in found] == [spec.name] and found[0].running
    runtime.remove(spec.name)
    runtime.remove(spec.name)  # nothing left: no error
    assert runtime.get(spec.name) is None


def test_it_reports_the_exit_code_and_logs_of_an_exited_instance(runtime, podman_engine,
                                                                  test_images):
    spec = spec_for(test_images["exits"], "exits", podman_engine.namespace)
    runtime.ensure(spec)
    observed = wait_for(lambda: (o := runtime.get(spec.name)) and o.dead and o)
    assert observed.exit_code == 3
    assert any("failing on purpose" in line.text for line in runtime.logs(spec.name))


def test_it_tells_which_port_the_app_listens_on(runtime, podman_engine, test_images):
    spec = spec_for(test_images["wrongport"], "wp", podman_engine.namespace)
    observed = runtime.ensure(spec)
    wait_for(lambda: 9090 in (runtime.listening_ports(spec.name) or []))
    assert not runtime.probe(observed, 8080, 0.5).ok


def test_it_reads_log_files_and_stats(runtime, podman_engine, test_images):
    spec = spec_for(test_images["logfiles"], "lf", podman_engine.namespace,
                    env={"LOG_INTERVAL": "0.1"})
    runtime.ensure(spec)
    files = wait_for(lambda: (f := runtime.read_files(spec.name, "/var/log/app"))
                     and f.get("/var/log/app/error.log") and f)
    assert files["/var/log/app/app.log"].data.count(b"\n") >= 1
    assert runtime.stats(spec.name).memory_bytes > 0
    time.sleep(0.2)
    assert runtime.stats(spec.name).cpu_cores >= 0


def test_listening_ports_are_parsed_from_proc():
    text = ("  sl  local_address rem_address   st\n"
            "   0: 00000000:2382 00000000:0000 0A 0\n"
            "   1: 0100007F:1F90 0100007F:9C40 01 0\n")
    assert listening_ports_from_proc(text) == [9090]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None

