"""Router and cold-start figures, each with a baseline measured in the same run.

- router_throughput: requests/s through HAProxy to one instance (busybox httpd test
  image), `wrk` with keep-alive and several connections; router_throughput_ratio against
  the same load sent to the container's published port directly (goal ≥ 0.8).
- router_added_latency_p50_ms: `wrk -c1 --latency` p50 through HAProxy minus directly
  (goal ≤ 1 ms).
- cold_start_p50 / cold_start_p95: a request to the preview host of a version at 0
  instances → HAProxy → activator → converge → container → answer; cold_start_ratio
  against `podman run` of the same image to its first HTTP answer (goal: p50 ≤ 1 s).
- cold_start_phase_<name>_p50 and cold_start_phase_sum(_ratio): the recorded phases of
  the p50 cold start (bench/phases.py).

Everything real and on loopback. The work runs in a child process (`python -m
bench.router --child`) because it needs its own throwaway database and Django settings,
and it reuses bench/deploy.py's platform (Podman API service, registry, pushed image).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

COLD_STARTS = 10
WRK_SECONDS = 3
WRK_ROUNDS = 3
WRK_CONNECTIONS = 16


def run() -> list[tuple[str, float, str, float | None]]:
    child = subprocess.run([sys.executable, "-m", "bench.router", "--child"], capture_output=True,
                           text=True, cwd=Path(__file__).resolve().parent.parent, timeout=900)
    if child.returncode:
        raise RuntimeError(f"bench.router failed:\n{child.stderr[-4000:]}")
    return [tuple(row) for row in json.loads(child.stdout.strip().splitlines()[-1])]


def measure() -> list[tuple[str, float, str, float | None]]:
    from bench import deploy as deploy_bench
    from bench import phases as phases_bench

    work = Path(tempfile.mkdtemp(prefix="bench-router-"))
    try:
        with deploy_bench._platform(work) as env, _router(work) as router:
            figures = _throughput(env, router)
            cold = _cold_starts(env, router)
            raw = deploy_bench._measure_raw(env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = [seconds for seconds, _ in cold]
    p50, p95, raw50 = _percentile(totals, 0.5), _percentile(totals, 0.95), _percentile(raw, 0.5)
    return figures + [("cold_start_p50", p50, "s", p50 / raw50),
                      *phases_bench.figures(cold),
                      ("cold_start_p95", p95, "s", None),
                      ("cold_start_raw_p50", raw50, "s", None)]


def _percentile(values: list[float], p: float) -> float:
    import math

    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


@contextmanager
def _router(work: Path):
    """HAProxy (master-worker) and the activator (in a thread) on free loopback ports."""
    from django.test import override_settings

    from bench.deploy import free_port
    from hosting.router.converge import write_initial
    from hosting.router.haproxy import command_line
    from tests.servers.router import ActivatorThread, wait_for_port

    port, activator_port = free_port(), free_port()
    with override_settings(ROUTER_DIR=work / "router", ROUTER_PORT=port,
                           ACTIVATOR_PORT=activator_port, ACTIVATOR_HOLD_SECONDS=30):
        paths = write_initial()
        process = subprocess.Popen(command_line(paths), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        activator = None
        try:
            wait_for_port(port)
            activator = ActivatorThread(activator_port, 30.0).start()
            yield {"port": port}
        finally:
            if activator:
                activator.stop()
            process.terminate()
            process.wait(10)


def _deployed(service, **config):
    """Create a version and wait for `normal` (the deploy runs in a thread)."""
    from hosting.domain.config import VersionConfig
    from hosting.domain.versions import create_version
    from hosting.models import Version

    version = create_version(service, VersionConfig(image_tag="v1", port=8080,
                                                    initial_delay_seconds=0, **config))
    deadline = time.monotonic() + 60
    while (status := Version.objects.get(pk=version.pk).status) != "normal":
        if status != "creating" or time.monotonic() > deadline:
            raise RuntimeError(f"deploy ended {status}: {version.latest_error()}")
        time.sleep(0.02)
    return Version.objects.get(pk=version.pk)


def _wrk(url: str, host: str | None, connections: int, seconds: int) -> tuple[float, float]:
    """(requests/s, p50 latency in ms) from one wrk run."""
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if host:
        args += ["-H", f"Host: {host}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()
    return rate, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _throughput(env, router) -> list[tuple[str, float, str, float | None]]:
    from hosting import router as router_module

    version = _deployed(env["service"], min_replicas=1, traffic_policy="open_full")
    router_module.sync()
    instance = version.instances.get()
    direct = f"http://{instance.host_ip}:{instance.host_port}/"
    routed = f"http://127.0.0.1:{router['port']}/"
    host = version.service.host
    _wrk(routed, host, 4, 1)  # warm-up
    # Alternate direct and routed runs and keep each side's median: on a 2-core machine a
    # single run of either is at the mercy of whatever else ran in that second.
    rates = {"direct": [], "routed": []}
    for _ in range(WRK_ROUNDS):
        rates["direct"].append(_wrk(direct, None, WRK_CONNECTIONS, WRK_SECONDS)[0])
        rates["routed"].append(_wrk(routed, host, WRK_CONNECTIONS, WRK_SECONDS)[0])
    direct_rate, routed_rate = (statistics.median(rates[k]) for k in ("direct", "routed"))
    _, direct_p50 = _wrk(direct, None, 1, WRK_SECONDS)
    _, routed_p50 = _wrk(routed, host, 1, WRK_SECONDS)
    return [("router_throughput", routed_rate, "req/s", routed_rate / direct_rate),
            ("router_direct_throughput", direct_rate, "req/s", None),
            ("router_added_latency_p50_ms", routed_p50 - direct_p50, "ms", None),
            ("router_direct_latency_p50_ms", direct_p50, "ms", None)]


def _cold_starts(env, router) -> list[tuple[float, list[dict]]]:
    """(seconds to the answer, recorded phases) per cold start."""
    from bench.phases import recorded
    from hosting import router as router_module
    from hosting.domain import scaling
    from hosting.models import Version
    from hosting.orchestration import reconcile

    version = _deployed(env["service"], min_replicas=0, traffic_policy="keep_zero")
    router_module.sync()
    url = f"http://127.0.0.1:{router['port']}/"
    times = []
    for _ in range(COLD_STARTS):
        began = time.perf_counter()
        request = urllib.request.Request(url, headers={"Host": version.preview_host})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200 and b"httpd ok" in response.read()
        times.append((time.perf_counter() - began, recorded(version.pk, len(times) + 1)))
        scaling.set_desired(Version.objects.get(pk=version.pk), 0, "bench: back to sleep")
        reconcile.converge(version.pk)
        router_module.sync()
    return times


def child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    figures = measure()
    print(json.dumps(figures))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        for name, value, unit, ratio in run():
            print(f"{name}: {value:.3f} {unit}", ratio)
