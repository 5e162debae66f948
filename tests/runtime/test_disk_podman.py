"""Disk use is bounded on real Podman: a read-only root, and size-capped tmpfs where an
app may write (overlay on ext4 cannot cap a container's writable layer)."""
import os
from dataclasses import replace

import pytest

from hosting.runtimes.local import LocalRuntime
from tests.base import wait_for
from tests.runtime.test_isolation_podman import _get, tenant_spec

pytestmark = pytest.mark.integration
CAP_MIB = 4


@pytest.fixture
def runtime(podman, podman_engine):
    return LocalRuntime(podman_engine.docker_host)


def sh(runtime, name: str, script: str) -> tuple[int, str]:
    result = runtime.client.containers.get(name).exec_run(["/bin/busybox", "sh", "-c", script])
    return result.exit_code, result.output.decode(errors="replace")


def test_writing_past_the_tmpfs_cap_fails_with_enospc_and_the_root_is_read_only(
        runtime, podman_engine, test_images):
    spec = tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "disk",
                       read_only=True, tmpfs=("/tmp", "/www"), tmpfs_mib=CAP_MIB)
    observed = runtime.ensure(spec)
    host = runtime.client.containers.get(observed.name).attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    code, out = sh(runtime, observed.name,
                   f"/bin/busybox dd if=/dev/zero of=/tmp/fill bs=1M count={CAP_MIB * 2}")
    assert code != 0 and "No space left on device" in out, out
    code, out = sh(runtime, observed.name, "/bin/busybox du -k /tmp/fill")
    assert int(out.split()[0]) <= CAP_MIB * 1024, out  # it stopped at the cap
    code, out = sh(runtime, observed.name, "echo x > /bin/outside")
    assert code != 0 and "Read-only file system" in out, out
    # A tmpfs over a directory of the image keeps its files (Podman copies them up).
    assert wait_for(lambda: _get(observed), what="the app serving /www")
    assert sh(runtime, observed.name, "echo ok > /www/written && cat /www/written") == (0, "ok\n")


def test_an_unlimited_spec_keeps_a_writable_root(runtime, podman_engine, test_images):
    observed = runtime.ensure(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "rw"))
    assert sh(runtime, observed.name, "echo x > /bin/outside && cat /bin/outside") == (0, "x\n")


def test_stdout_past_the_log_cap_is_cut_back_on_the_host(runtime, podman_engine, test_images):
    spec = replace(tenant_spec(test_images["httpd"], podman_engine.namespace, 1, "loud",
                               log_max_mib=1), userns="")  # the exec may open PID 1's stdout
    observed = runtime.ensure(spec)
    attrs = runtime.client.containers.get(observed.name).attrs
    code, out = sh(runtime, observed.name,  # 3 MiB through PID 1's stdout, as the app would
                   "/bin/busybox yes isolation2-loud-line | /bin/busybox head -c 3145728 > /proc/1/fd/1"
                   " && echo isolation2-last-line > /proc/1/fd/1")
    assert code == 0, out
    wait_for(lambda: "isolation2-last-line" in runtime.client.containers.get(observed.name)
             .logs(tail=5).decode(), seconds=120, what="the last line in the engine's log")
    path = attrs.get("LogPath") or attrs["HostConfig"]["LogConfig"]["Path"]
    assert os.path.getsize(path) <= 1 << 20
