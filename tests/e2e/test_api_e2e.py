"""The REST API end to end, the way a CI script drives it with curl: plain HTTP requests
to the live server, a real Celery worker taking the deploy from Redis, real Podman, the
real registry and HAProxy in front of the app. Nothing in this process runs a deploy step itself."""
import uuid

import pytest
import requests
from django.conf import settings

from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
REPO = "alpha/testservice"
TERMINAL = {"normal", "deploy_failed", "abnormal"}


def issue_token(base_url: str) -> str:
    """Sign in with the login form, then ask the API for a token (what the console's
    token page does)."""
    web = requests.Session()
    web.get(f"{base_url}/login/", timeout=10).raise_for_status()
    signed_in = web.post(f"{base_url}/login/", timeout=10, allow_redirects=False, data={
        "username": "alice", "password": "alice-password",
        "csrfmiddlewaretoken": web.cookies["csrftoken"]})
    assert signed_in.status_code == 302, signed_in.text
    created = web.post(f"{base_url}/api/v1/tokens/", json={"name": "ci"}, timeout=10,
                       headers={"X-CSRFToken": web.cookies["csrftoken"], "Referer": base_url})
    assert created.status_code == 201, created.text
    return created.json()["key"]


def api(base_url: str, key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {key}"
    session.base = f"{base_url}/api/v1"
    return session


def test_a_token_deploys_a_version_and_reads_its_logs(live_server, live_world, plain_http,
                                                      platform, push_test_image, e2e_images):
    celery_worker, router = platform["worker"], platform["router"]
    key = issue_token(live_server.url)
    http = api(live_server.url, key)
    push_test_image(REPO, "v1", image="httpd-verbose", username="alice", password=key)

    services = http.get(f"{http.base}/services/", timeout=10)
    service = next(s for s in services.json()["results"] if s["name"] == "testservice")
    tags = http.get(f"{http.base}/services/{service['id']}/tags/", timeout=10).json()
    assert "v1" in tags["tags"]  # other tests of the session push to this repository too

    created = http.post(f"{http.base}/versions/", timeout=10, json={
        "service": service["id"], "image_tag": "v1", "port": 8080, "traffic_policy": "open_full",
        "min_replicas": 1, "max_replicas": 2, "initial_delay_seconds": 0,
        "env": {"MESSAGE": "from the api"}})
    assert created.status_code == 201, created.text
    version_url = created.headers["Location"]
    assert created.json()["status"] == "creating"

    def settled():
        body = http.get(version_url, timeout=10).json()
        return body if body["status"] in TERMINAL else None

    version = wait_for(settled, what="the version to leave creating")
    events = http.get(f"{version_url}events/", timeout=10).json()
    assert version["status"] == "normal", (events, celery_worker.tail())
    assert version["image_digest"].startswith("sha256:")
    assert (version["traffic_percent"], version["instances_running"]) == (100, 1)
    assert "deployed" in " ".join(e["message"] for e in events["results"]).lower()
    assert "Task hosting.deploy_version" in celery_worker.log()  # Redis → worker, not eager

    (instance,) = http.get(f"{http.base}/instances/", params={"version": version["id"]},
                           timeout=10).json()["results"]
    # The app's public address: HAProxy by the service's host name (open_full gave it 100%).
    marker = f"/e2e-{uuid.uuid4().hex[:12]}"
    host = f"testservice.alpha.{settings.APPS_DOMAIN}"
    errors: list[str] = []

    def routed():
        try:  # until the worker's router sync lands: HAProxy answers itself, or reloads
            status, _body, headers = router.request(host, marker, timeout=10)
        except OSError as exc:
            errors.append(repr(exc))
            return False
        if "x-hosting-router" in headers:  # HAProxy's own answer (no route yet), not the app's
            errors.append(f"{status} {headers['x-hosting-router']}")
            return False
        return status == 404  # the app answered (no such page) and logged the request

    wait_for(routed, what=f"the router to send the service's host to the version ({errors})")
    print("router answers while converging:", errors)

    seen: list[dict] = []

    def logged():
        seen[:] = http.get(f"{version_url}logs/", params={"tail": 1000}, timeout=10).json()
        return [line for line in seen if marker in line["line"]]

    try:
        (line,) = wait_for(logged, what="the request to show in the version's logs")
    except AssertionError:
        instances = http.get(f"{http.base}/instances/", params={"version": version["id"]}).json()
        raise AssertionError(f"{marker} not in {len(seen)} lines; last: {seen[-5:]}; "
                             f"instances: {instances}\n{celery_worker.tail()}") from None
    assert line["source"] == "stderr"
    assert line["instance_name"] == instance["name"]
    assert f"url:{marker}" in line["line"]
