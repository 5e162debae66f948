"""Kubernetes figures on the machine's cluster (scripts/cluster/up.sh starts or reuses it).

- k8s_deploy_to_normal_p50/p95: create_version → `normal` with RUNTIME_BACKEND=kubernetes
  (namespace objects, pull secret, Deployment, bind the pod, GET / on the pod IP), the
  deploy in a thread as an idle worker would run it; k8s_deploy_to_normal_ratio against
  k8s_raw_pod_p50: a bare Pod of the same image created through the API, timed to its
  first HTTP answer on the pod IP (goal ≤ 2). The image is on the node after the first
  deploy for both (imagePullPolicy IfNotPresent).
- k8s_cold_start_p50/p95: a request to the preview host of a version at 0 instances →
  HAProxy → activator → converge (scale 0 → 1, bind, probe) → the pod answers
  (goal ≤ 2 s); k8s_cold_start_ratio against the same raw pod figure.

Runs in a child process (`python -m bench.k8s --child`): its own throwaway database and
settings, bench/deploy.py's registry and pushed image, bench/router.py's HAProxy.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "scripts" / "cluster"
DEPLOYS = 8
RAW_RUNS = 8


def run() -> list[tuple[str, float, str, float | None]]:
    up = subprocess.run([str(CLUSTER / "up.sh")], capture_output=True, text=True, timeout=3600)
    if up.returncode:
        print(f"# bench.k8s: the cluster did not start:\n{up.stdout}{up.stderr}", file=sys.stderr)
        return []
    child = subprocess.run([sys.executable, "-m", "bench.k8s", "--child"], capture_output=True,
                           text=True, cwd=ROOT, timeout=1800)
    if child.returncode:
        raise RuntimeError(f"bench.k8s failed:\n{child.stdout}\n{child.stderr}")
    return [tuple(row) for row in json.loads(child.stdout.strip().splitlines()[-1])]


def cluster_env() -> dict[str, str]:
    out = subprocess.run([str(CLUSTER / "env.sh")], capture_output=True, text=True, check=True).stdout
    pairs = (line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    return dict(pairs)


def measure() -> list[tuple[str, float, str, float | None]]:
    from bench.deploy import _platform, percentile
    from bench.router import _cold_starts, _router

    work = Path(tempfile.mkdtemp(prefix="bench-k8s-"))
    prefix = f"bk{uuid.uuid4().hex[:6]}"
    kubeconfig = cluster_env()["KUBECONFIG"]
    try:
        with ExitStack() as stack:
            env = stack.enter_context(_platform(work))
            stack.enter_context(_kubernetes(prefix, kubeconfig))
            stack.callback(_delete_namespaces, prefix, kubeconfig)
            deploys = _measure_deploys(env)
            raw = _measure_raw(env)
            router = stack.enter_context(_router(work))
            cold = [seconds for seconds, _phases in _cold_starts(env, router)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p50, raw50, cold50 = percentile(deploys, 0.5), percentile(raw, 0.5), percentile(cold, 0.5)
    return [("k8s_deploy_to_normal_p50", p50, "s", p50 / raw50),
            ("k8s_deploy_to_normal_p95", percentile(deploys, 0.95), "s", None),
            ("k8s_raw_pod_p50", raw50, "s", None),
            ("k8s_cold_start_p50", cold50, "s", cold50 / raw50),
            ("k8s_cold_start_p95", percentile(cold, 0.95), "s", None)]


def _kubernetes(prefix: str, kubeconfig: str):
    from django.conf import settings
    from django.test import override_settings

    subprocess.run([str(CLUSTER / "trust_registry.sh"), settings.REGISTRY_HOST], check=True,
                   capture_output=True, timeout=60)
    return override_settings(RUNTIME_BACKEND="kubernetes", RUNTIME_NAMESPACE=prefix,
                             KUBECONFIG=kubeconfig)


def _measure_deploys(env) -> list[float]:
    _deploys(env, 1)  # warm-up, not kept: it pulls the image onto the node
    return _deploys(env, DEPLOYS)


def _deploys(env, count: int) -> list[float]:
    """bench/deploy.py's loop (create, wait for normal, delete) `count` times."""
    import bench.deploy

    saved = bench.deploy.DEPLOYS
    bench.deploy.DEPLOYS = count
    try:
        return bench.deploy._measure_deploys(env)
    finally:
        bench.deploy.DEPLOYS = saved


def _measure_raw(env) -> list[float]:
    """A bare Pod of the pinned image in the tenant's namespace (its pull secret is there
    from the deploys), from the create call to the first HTTP answer on the pod IP."""
    from hosting import runtimes
    from hosting.models import Version
    from hosting.runtimes.kubernetes import manifests, names

    runtime = runtimes.get_runtime()
    version = Version.objects.filter(service=env["service"]).order_by("-pk").first()
    namespace = names.namespace(env["service"].tenant_id)
    times = []
    for n in range(RAW_RUNS):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"raw-{n}", "namespace": namespace},
               "spec": {"containers": [{"name": "app", "image": manifests.image(version),
                                        "imagePullPolicy": "IfNotPresent"}],
                        "imagePullSecrets": [{"name": names.pull_secret(version.service_id)}],
                        "terminationGracePeriodSeconds": 0}}
        began = time.perf_counter()
        runtime.applier.apply(pod)
        ip = _pod_ip(runtime, namespace, pod["metadata"]["name"], began)
        _first_answer(f"http://{ip}:8080/", began)
        times.append(time.perf_counter() - began)
        runtime.applier.delete(pod, grace=0)
    return times


def _pod_ip(runtime, namespace: str, name: str, began: float) -> str:
    while True:
        pod = runtime.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")
        ip = (pod.get("status") or {}).get("podIP")
        if ip:
            return ip
        if time.perf_counter() - began > 60:
            raise RuntimeError(f"raw pod {name} got no IP: {pod.get('status')}")
        time.sleep(0.01)


def _first_answer(url: str, began: float) -> None:
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.perf_counter() - began > 60:
                raise
            time.sleep(0.005)


def _delete_namespaces(prefix: str, kubeconfig: str) -> None:
    kubectl = Path(cluster_env()["HOSTING_CLUSTER_BIN"]) / "kubectl"
    subprocess.run([str(kubectl), f"--kubeconfig={kubeconfig}", "delete", "namespace", "-l",
                    f"hosting.namespace={prefix}", "--wait=false"], capture_output=True, timeout=60)


def child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    print(json.dumps(measure()))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        for name, value, unit, ratio in run():
            print(f"{name}: {value:.3f} {unit}", ratio)
