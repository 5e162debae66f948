"""The activator behind real HAProxy; "converge" is replaced by a loopback HTTP server
showing up as a ready instance (the real-container cold start is in test_cold_start.py)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hosting import router as router_module
from hosting.activator import versions as activator_versions
from hosting.models import Instance, Version
from hosting.router import haproxy
from hosting.router.converge import paths
from tests.router.conftest import serving_version

pytestmark = pytest.mark.integration


@pytest.fixture
def instant_instances(monkeypatch, upstream):
    """converge(version) starts a "container": a loopback server, ready after 0.2 s."""
    calls: list[int] = []
    lock = threading.Lock()

    def converge(version_id: int) -> None:
        calls.append(version_id)
        version = Version.objects.get(pk=version_id)
        with lock:
            have = Instance.objects.filter(version=version).count()
            for ordinal in range(have, version.desired_instances):
                time.sleep(0.2)
                Instance.objects.create(version=version, ordinal=ordinal, ready=True,
                                        name=Instance.name_for(version, ordinal),
                                        host_port=upstream(f"awake {version.name}".encode()))
        router_module.sync()

    monkeypatch.setattr(activator_versions, "converge", converge)
    return calls


def sleeping(svc, share: int) -> Version:
    version = serving_version(svc, share, (), min_replicas=0)
    router_module.sync()
    return version


def test_a_request_wakes_a_version_at_zero_instances(router, svc, activator, instant_instances):
    version = sleeping(svc, 100)

    status, body, _ = router.request(svc.host)

    assert (status, body) == (200, f"awake {version.name}".encode())
    version.refresh_from_db()
    assert version.desired_instances == 1
    assert version.last_request is not None


def test_twenty_concurrent_first_requests_make_one_scale_up(router, svc, activator,
                                                            instant_instances):
    version = sleeping(svc, 100)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: router.request(svc.host)[:2], range(20)))

    assert answers == [(200, f"awake {version.name}".encode())] * 20
    assert activator.wakes == 1
    assert version.events.filter(kind="scale").count() == 1
    assert Version.objects.get(pk=version.pk).desired_instances == 1


def test_the_preview_host_wakes_a_version_with_no_traffic(router, svc, activator, instant_instances):
    serving_version(svc, 100, ())
    hidden = sleeping(svc, 0)

    assert router.request(hidden.preview_host)[:2] == (200, f"awake {hidden.name}".encode())


def test_it_forwards_method_path_headers_and_body(router, svc, activator, instant_instances):
    sleeping(svc, 100)

    status, body, _ = router.request(svc.host, "/echo?x=1", method="POST", body=b"payload",
                                     headers={"X-Test": "kept"})

    assert (status, body) == (200, b"POST /echo?x=1 kept payload")


def test_once_awake_the_router_sends_requests_to_the_instance(router, svc, activator,
                                                              instant_instances):
    version = sleeping(svc, 100)
    router.request(svc.host)

    def switched() -> bool:  # the sync after readiness runs beside the proxied answer
        states = haproxy.server_states(paths())
        return (not states[(f"svc_{svc.pk}", f"v{version.pk}_act")].enabled
                and states[(f"svc_{svc.pk}", f"v{version.pk}_0")].enabled)

    deadline = time.monotonic() + 10
    while not switched() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert switched()


def test_a_hold_past_the_limit_answers_503_with_retry_after(router, svc, start_activator,
                                                            monkeypatch):
    monkeypatch.setattr(activator_versions, "converge", lambda version_id: None)  # never starts
    start_activator(hold_seconds=0.5)
    sleeping(svc, 100)

    status, body, headers = router.request(svc.host)

    assert status == 503, body
    assert int(headers["retry-after"]) > 0


def test_a_version_that_cannot_serve_answers_503_at_once(router, svc, activator, instant_instances):
    version = sleeping(svc, 100)
    Version.objects.filter(pk=version.pk).update(status="deploy_failed")

    status, _, headers = router.request(version.preview_host)

    assert status == 503 and "retry-after" in headers
    assert instant_instances == []
