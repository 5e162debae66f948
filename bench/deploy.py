"""Deploy latency: create_version → status normal, against a raw `podman run`.

Everything real and on loopback: a throwaway SQLite database, Podman's API service on a
temporary socket, the registry with token auth (the web app's token endpoint served by
wsgiref in a thread), the offline httpd test image pushed with the podman CLI. The
deploy task's `.delay` is replaced by a thread that calls deploy() at once, as an idle
worker would (no broker latency is measured). Status is polled every 20 ms.

Figures: deploy_to_normal_p50/p95 over DEPLOYS deploys (InitialDelaySeconds 0; the
first one includes the pull), raw_start_p50 (`podman run -d` of the same image to its
first HTTP answer, polled every 5 ms), and their ratio (goal ≤ 3).
"""
from __future__ import annotations

import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
DEPLOYS = 12
RAW_RUNS = 10
POLL_SECONDS = 0.02
CLEANUP_SECONDS = 300
STEP_SECONDS = 300  # one podman command of the setup (build, push, run)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def run() -> list[tuple[str, float, str, float | None]]:
    work = Path(tempfile.mkdtemp(prefix="bench-deploy-"))
    try:
        with ExitStack() as stack:
            env = stack.enter_context(_platform(work))
            deploys = _measure_deploys(env)
            raw = _measure_raw(env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p50, p95, raw50 = percentile(deploys, 0.5), percentile(deploys, 0.95), statistics.median(raw)
    return [("deploy_to_normal_p50", p50, "s", p50 / raw50),
            ("deploy_to_normal_p95", p95, "s", None),
            ("raw_start_p50", raw50, "s", None)]


@contextmanager
def _platform(work: Path, tasks_in_threads: bool = True):
    namespace = f"bench{os.getpid()}"
    registry_host = f"127.0.0.1:{free_port()}"
    socket_path = work / "podman.sock"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(work / "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    overrides = override_settings(
        DOCKER_HOST=f"unix://{socket_path}", RUNTIME_BACKEND="local", RUNTIME_NAMESPACE=namespace,
        REGISTRY_HOST=registry_host, REGISTRY_URL=f"http://{registry_host}",
        REGISTRY_KEY_DIR=work / "keys", HEALTH_CHECK_TIMEOUT_SECONDS=1.0, DEBUG=False)
    with ExitStack() as stack:
        stack.enter_context(overrides)
        call_command("migrate", verbosity=0)
        # Callbacks run last first: the service stops before the CLI removes the run's
        # containers, so a service stuck on a storage lock releases it first.
        stack.callback(_remove_containers, namespace)
        subprocess.run([str(ROOT / "scripts" / "podman_service.sh"), "start", str(socket_path)],
                       check=True, capture_output=True, timeout=STEP_SECONDS)
        stack.callback(subprocess.run, [str(ROOT / "scripts" / "podman_service.sh"), "stop",
                                        str(socket_path)], capture_output=True, timeout=60)
        realm = stack.enter_context(_web())
        stack.enter_context(_registry(work, registry_host, realm))
        service, image = _service_with_image(work, registry_host)
        if tasks_in_threads:
            stack.enter_context(_deploy_in_threads())
        yield {"service": service, "image": image, "namespace": namespace, "work": work,
               "registry_host": registry_host}


@contextmanager
def _web():
    from django.core.wsgi import get_wsgi_application

    from hosting.registry import server as registry_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}{registry_server.REALM_PATH}"
    finally:
        httpd.shutdown()


@contextmanager
def _registry(work: Path, host: str, realm: str):
    from hosting.registry import server as registry_server

    config = registry_server.write_config(work / "registry.yml", addr=host,
                                          storage_dir=work / "registry-data", realm=realm)
    with open(work / "registry.log", "w") as log:
        process = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
            except urllib.error.HTTPError:
                break  # 401: up, with token auth
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError((work / "registry.log").read_text()) from None
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def _service_with_image(work: Path, registry_host: str):
    """A tenant, a service and the httpd test image pushed to its repository as v1."""
    from hosting.domain.tenants import create_tenant
    from tests.base import make_service

    tenant, _key = create_tenant("bench", "benchuser", "bench-password")
    service = make_service(tenant, "web")
    built = subprocess.run([str(ROOT / "docker" / "testimages" / "build.sh"),
                            "localhost/hosting-test", "httpd"],
                           check=True, capture_output=True, text=True,
                           timeout=STEP_SECONDS).stdout.split()[0]
    push_image(work, registry_host, service, built)
    return service, built


def push_image(work: Path, registry_host: str, service, built: str) -> None:
    """Push the local image `built` to the service's repository as v1 (as benchuser)."""
    env = {**os.environ, "REGISTRY_AUTH_FILE": str(work / "auth.json")}
    ref = f"{registry_host}/{service.repository}:v1"
    for args, stdin in ((["login", "--tls-verify=false", "-u", "benchuser", "--password-stdin",
                          registry_host], "bench-password"),
                        (["tag", built, ref], None),
                        (["push", "--tls-verify=false", ref], None),
                        (["rmi", ref], None)):
        subprocess.run(["podman", *args], input=stdin, env=env, check=True,
                       capture_output=True, text=True, timeout=STEP_SECONDS)


@contextmanager
def _deploy_in_threads():
    """Stand-in for an idle worker: each enqueued task runs in a thread at once (one
    scheduled for later, at its time)."""
    from django.db import connection
    from django.utils import timezone

    from hosting import tasks

    def runner(function):
        def target(*args):
            try:
                function(*args)
            finally:
                connection.close()

        def delay(*args):
            threading.Thread(target=target, args=args, daemon=True).start()

        def apply_async(args=(), eta=None, **_options):
            wait = max(0.0, (eta - timezone.now()).total_seconds()) if eta else 0.0
            timer = threading.Timer(wait, target, args=args)
            timer.daemon = True
            timer.start()
        return delay, apply_async

    names = ("deploy_version", "delete_version", "converge_version", "sync_router")
    saved = {name: (getattr(tasks, name).delay, getattr(tasks, name).apply_async) for name in names}
    for name in names:
        task = getattr(tasks, name)
        task.delay, task.apply_async = runner(task.run)
    try:
        yield
    finally:
        for name, (delay, apply_async) in saved.items():
            task = getattr(tasks, name)
            task.delay, task.apply_async = delay, apply_async


def _measure_deploys(env) -> list[float]:
    from hosting.domain.config import VersionConfig
    from hosting.domain.versions import create_version, delete_version
    from hosting.models import Version
    from hosting.orchestration import deploy

    times = []
    for _ in range(DEPLOYS):
        config = VersionConfig(image_tag="v1", port=8080, initial_delay_seconds=0,
                               min_replicas=1, traffic_policy="keep_zero")
        began = time.perf_counter()
        version = create_version(env["service"], config)
        while True:
            status = Version.objects.filter(pk=version.pk).values_list("status", flat=True)[0]
            if status == "normal":
                break
            if status != "creating" or time.perf_counter() - began > 60:
                raise RuntimeError(f"deploy ended {status}: {version.latest_error()}")
            time.sleep(POLL_SECONDS)
        times.append(time.perf_counter() - began)
        delete_version(Version.objects.get(pk=version.pk))
        deploy.remove(version.pk)
    return times


def _measure_raw(env) -> list[float]:
    times = []
    for n in range(RAW_RUNS):
        port = free_port()
        name = f"{env['namespace']}-raw-{n}"
        began = time.perf_counter()
        subprocess.run(["podman", "run", "-d", "--name", name, "--label",
                        f"hosting.namespace={env['namespace']}", "-p", f"127.0.0.1:{port}:8080",
                        env["image"]], check=True, capture_output=True, timeout=STEP_SECONDS)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                if time.perf_counter() - began > 30:
                    raise
                time.sleep(0.005)
        times.append(time.perf_counter() - began)
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True,
                       timeout=STEP_SECONDS)
    return times


def _remove_containers(namespace: str) -> None:
    """The run's containers, then its tenant networks and their firewall chains (left
    behind, each run added a network and an iptables chain to the shared host). Each
    podman call is bounded (Podman 4.3 can hang on a storage lock): a cleanup that
    times out says what is left and how to remove it, and the bench still ends."""
    from hosting.runtimes import firewall

    label = f"label=hosting.namespace={namespace}"
    try:
        ids = _podman(["ps", "-aq", "--filter", label], 60).split()
        if ids:  # -t 0: busybox as PID 1 ignores SIGTERM, and these are the run's own
            _podman(["rm", "-f", "-t", "0", *ids], CLEANUP_SECONDS)
        networks = _podman(["network", "ls", "-q", "--filter", label], 60).split()
        for network in networks:
            _podman(["network", "rm", network], 60)
            firewall.remove(network)
    except subprocess.TimeoutExpired as exc:
        print(f"# cleanup: `{' '.join(exc.cmd[:4])} ...` did not end within {exc.timeout:.0f} s; "
              f"this run's containers and networks may be left: remove them with "
              f"`podman rm -f -t 0 $(podman ps -aq --filter {label})` and "
              f"`podman network rm {namespace}-t1`", file=sys.stderr, flush=True)


def _podman(args: list[str], seconds: float) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True,
                          timeout=seconds).stdout
