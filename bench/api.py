"""API list latency: GET /api/v1/versions/ with 1,000 services and 10,000 versions in
the database, against the same request with 10 services and 10 versions.

Each size runs in a child process on a throwaway SQLite file (configured before
django.setup(), so no other database is touched), rows made with bulk_create. The
request goes through the whole stack (middleware, token auth, throttling in a memory
cache, filters, pagination). The query count must be the same for both sizes.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LARGE, SMALL = (1000, 10), (10, 1)  # (services, versions per service)
REQUESTS, WARMUP = 200, 20
PATH = "/api/v1/versions/"


def run() -> list[tuple[str, float, str, float | None]]:
    small, large = measure(*SMALL), measure(*LARGE)
    if small["queries"] != large["queries"]:
        raise AssertionError(f"query count grows with rows: {small['queries']} → {large['queries']}")
    print(f"# api_list: {large['versions']} versions → {large['queries']} queries, "
          f"{small['versions']} versions → {small['queries']} queries; p50 "
          f"{large['p50_ms']:.2f} ms vs {small['p50_ms']:.2f} ms", file=sys.stderr)
    return [("api_list_p50_ms", large["p50_ms"], "ms", None),
            ("api_list_ratio", large["p50_ms"] / small["p50_ms"], "", None),
            ("api_list_queries", float(large["queries"]), "queries", None)]


def measure(services: int, per_service: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": "",
               "SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"), "HOSTING_VAR_DIR": tmp}
        out = subprocess.run([sys.executable, "-m", "bench.api", str(services), str(per_service)],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the child: build the rows, then time the request ----

def child(services: int, per_service: int) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "1000000/min", "anon": "1000/min"}}
    call_command("migrate", verbosity=0)
    key = populate(services, per_service)
    return time_requests(key, services * per_service)


def populate(services: int, per_service: int) -> str:
    from hosting.domain.tenants import create_tenant
    from hosting.models import Application, Instance, Project, Service, Version

    tenant, key = create_tenant("bench", "bench-owner")
    create_tenant("neighbour", "neighbour-owner")
    projects = Project.objects.bulk_create(
        [Project(tenant=tenant, name=f"p{i}") for i in range(max(1, services // 100))])
    apps = Application.objects.bulk_create(
        [Application(tenant=tenant, project=projects[i % len(projects)], name=f"a{i}")
         for i in range(max(1, services // 10))])
    svcs = Service.objects.bulk_create(
        [Service(tenant=tenant, application=apps[i % len(apps)], name=f"svc{i}",
                 last_sequence=per_service) for i in range(services)])
    versions = Version.objects.bulk_create(
        [Version(tenant=tenant, service=svc, sequence=n, name=f"{svc.name}-{n:03d}", image_tag="v1",
                 cpu_millis=500, memory_mib=1024, log_paths=["stdout"], env=[["A", "1"]],
                 status="normal", desired_instances=1)
         for svc in svcs for n in range(1, per_service + 1)], batch_size=1000)
    Instance.objects.bulk_create(
        [Instance(version=v, ordinal=0, name=f"h-bench-{v.name}-0", status="running")
         for v in versions], batch_size=1000)
    return key


def time_requests(key: str, rows: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    for _ in range(WARMUP):
        assert client.get(PATH).status_code == 200
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(PATH)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        body = client.get(PATH).json()
    assert body["count"] == rows and len(body["results"]) == min(rows, 50)
    return {"p50_ms": statistics.median(timings), "queries": len(queries), "versions": rows}


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]), int(sys.argv[2]))))
