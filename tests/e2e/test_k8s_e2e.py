"""The REST API end to end on the real Kubernetes cluster: a real Celery worker deploys
two versions as Deployments, HAProxy on the host routes to their pod IPs, an 80/20 split
holds within ±3 points over 1,000 requests, and deleting a version removes its objects."""
import uuid
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from tests.e2e.conftest import wait_for
from tests.e2e.test_api_e2e import TERMINAL, api, issue_token

pytestmark = [pytest.mark.integration, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
REPO = "alpha/testservice"
REQUESTS = 1000


@pytest.fixture
def k8s_platform(k8s_cluster, registry_server, settings, request):
    """The kubernetes settings before the worker starts (it reads them from its
    environment) and after the podman fixture it depends on (which sets the local ones)."""
    request.getfixturevalue("podman")
    k8s_cluster.trust_registry(registry_server.host)
    prefix = f"te{uuid.uuid4().hex[:8]}"
    settings.RUNTIME_BACKEND, settings.RUNTIME_NAMESPACE = "kubernetes", prefix
    settings.KUBECONFIG = str(k8s_cluster.kubeconfig)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    router = request.getfixturevalue("router")
    worker = request.getfixturevalue("celery_worker")
    yield {"router": router, "worker": worker, "cluster": k8s_cluster}
    k8s_cluster.kubectl("delete", "namespace", "-l", f"hosting.namespace={prefix}",
                        "--wait=false", check=False)


def create(http: requests.Session, service_id: int, message: str, policy: str) -> dict:
    created = http.post(f"{http.base}/versions/", timeout=10, json={
        "service": service_id, "image_tag": "v1", "port": 8080, "traffic_policy": policy,
        "min_replicas": 1, "max_replicas": 2, "initial_delay_seconds": 0,
        "env": {"MESSAGE": message}})
    assert created.status_code == 201, created.text
    url = created.headers["Location"]

    def settled():
        body = http.get(url, timeout=10).json()
        return body if body["status"] in TERMINAL else None

    body = wait_for(settled, seconds=120, what=f"version {message} to leave creating")
    events = http.get(f"{url}events/", timeout=10).json()
    assert body["status"] == "normal", events
    return {**body, "url": url}


def test_versions_on_the_cluster_answer_through_haproxy_with_the_split(
        live_server, live_world, plain_http, k8s_platform, push_test_image, registry_images):
    router, cluster = k8s_platform["router"], k8s_platform["cluster"]
    key = issue_token(live_server.url)
    http = api(live_server.url, key)
    push_test_image(REPO, "v1", image="httpd", username="alice", password=key)
    services = http.get(f"{http.base}/services/", timeout=10).json()["results"]
    service = next(s for s in services if s["name"] == "testservice")

    blue = create(http, service["id"], "blue", "open_full")
    green = create(http, service["id"], "green", "keep_zero")
    (pod,) = cluster.get("pods", "-A", "-l", f"hosting.version={blue['id']}")["items"]
    (instance,) = http.get(f"{http.base}/instances/", params={"version": blue["id"]},
                           timeout=10).json()["results"]
    assert instance["host_port"] == 8080  # the pod's own port on its IP, nothing published
    assert pod["status"]["podIP"]

    def answer(host: str) -> bytes | None:
        status, body, headers = router.request(host, "/cgi-bin/env", timeout=10)
        return body if status == 200 and "x-hosting-router" not in headers else None

    preview = urlsplit(green["preview_url"]).hostname  # carries the version's random label
    assert b"message=green" in wait_for(lambda: answer(preview), what="green's preview host")

    shifted = http.put(f"{http.base}/services/{service['id']}/traffic/", timeout=10, json={
        "shares": [{"version": blue["id"], "percent": 80}, {"version": green["id"], "percent": 20}]})
    assert shifted.status_code == 200, shifted.text
    host = f"testservice.alpha.{settings.APPS_DOMAIN}"
    wait_for(lambda: b"message=green" in (answer(host) or b""), what="the split to reach HAProxy")
    seen = Counter()
    for _ in range(REQUESTS):
        body = answer(host) or b""
        seen["green" if b"message=green" in body else "blue" if b"message=blue" in body else "other"] += 1
    print(f"split over {REQUESTS} requests: {dict(seen)}")
    assert seen["other"] == 0, seen
    assert abs(seen["green"] * 100 / REQUESTS - 20) <= 3, seen

    back = http.put(f"{http.base}/services/{service['id']}/traffic/", timeout=10,
                    json={"shares": [{"version": blue["id"], "percent": 100}]})
    assert back.status_code == 200, back.text  # a version with a share cannot be deleted
    deleted = http.delete(green["url"], timeout=10)
    assert deleted.status_code in (202, 204), deleted.text
    wait_for(lambda: not cluster.get("deployments", "-A", "-l", f"hosting.version={green['id']}")["items"],
             seconds=60, what="green's Deployment removed")
