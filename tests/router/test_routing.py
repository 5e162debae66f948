"""Routing through a real HAProxy to plain loopback HTTP servers (no containers needed)."""
import threading
from collections import Counter

import pytest

from hosting import router as router_module
from hosting.domain.traffic import set_traffic
from hosting.router import haproxy
from hosting.router.converge import paths
from tests.router.conftest import serving_version

pytestmark = pytest.mark.integration


def split(router, host: str, count: int) -> Counter:
    seen: Counter = Counter()
    for _ in range(count):
        status, body, _ = router.request(host)
        seen[body if status == 200 else status] += 1
    return seen


def test_it_splits_traffic_80_20(router, svc, upstream):
    serving_version(svc, 80, (upstream(b"one"),))
    serving_version(svc, 20, (upstream(b"two"),))
    assert router_module.sync() == "reload"

    seen = split(router, svc.host, 2000)

    assert abs(seen[b"one"] / 2000 * 100 - 80) <= 3
    assert abs(seen[b"two"] / 2000 * 100 - 20) <= 3


def test_it_splits_by_version_not_by_instance(router, svc, upstream):
    serving_version(svc, 50, (upstream(b"one"), upstream(b"one"), upstream(b"one")))
    serving_version(svc, 50, (upstream(b"two"),))
    router_module.sync()

    seen = split(router, svc.host, 600)

    assert abs(seen[b"one"] - 300) <= 18


def test_the_preview_host_reaches_a_version_with_no_traffic(router, svc, upstream):
    serving_version(svc, 100, (upstream(b"live"),))
    hidden = serving_version(svc, 0, (upstream(b"hidden"),))
    router_module.sync()

    assert split(router, svc.host, 20) == Counter({b"live": 20})
    assert router.request(hidden.preview_host)[:2] == (200, b"hidden")
    assert router.request(hidden.preview_host.upper() + f":{router.port}")[:2] == (200, b"hidden")


def test_unknown_hosts_get_404(router, svc, upstream):
    serving_version(svc, 100, (upstream(b"live"),))
    router_module.sync()

    status, _, headers = router.request("nothing.alpha.apps.localhost")
    assert (status, headers["x-hosting-router"]) == (404, "no-route")  # not the app's own 404


def test_a_share_change_needs_no_reload(router, svc, upstream):
    one = serving_version(svc, 100, (upstream(b"one"),))
    two = serving_version(svc, 0, (upstream(b"two"),))
    router_module.sync()
    set_traffic(svc, {one.pk: 0, two.pk: 100})

    assert router_module.sync() == "runtime"
    assert router_module.sync() == "none"  # idempotent
    assert split(router, svc.host, 10) == Counter({b"two": 10})


def test_a_new_instance_in_a_free_slot_needs_no_reload(router, svc, upstream):
    from hosting.models import Instance

    version = serving_version(svc, 100, (upstream(b"a"),))
    router_module.sync()
    Instance.objects.create(version=version, ordinal=1, name=Instance.name_for(version, 1),
                            host_port=upstream(b"b"), ready=True)

    assert router_module.sync() == "runtime"
    assert split(router, svc.host, 10) == Counter({b"a": 5, b"b": 5})


def test_the_config_on_disk_holds_the_runtime_state(router, svc, upstream):
    one = serving_version(svc, 100, (upstream(b"one"),))
    two = serving_version(svc, 0, (upstream(b"two"),))
    router_module.sync()
    set_traffic(svc, {one.pk: 30, two.pk: 70})
    router_module.sync()

    haproxy.ask(paths().master_socket, "reload")  # e.g. an operator's reload
    states = haproxy.server_states(paths())

    assert states[(f"svc_{svc.pk}", f"v{two.pk}_0")].weight == 179
    assert states[(f"svc_{svc.pk}", f"v{one.pk}_0")].weight == 77


def test_share_changes_and_reloads_lose_no_request(router, svc, upstream):
    one = serving_version(svc, 100, (upstream(b"one"),))
    two = serving_version(svc, 0, (upstream(b"two"),))
    router_module.sync()
    failures: list = []
    seen: Counter = Counter()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                status, body, _ = router.request(svc.host, timeout=10)
                seen[body] += 1
                if status != 200:
                    failures.append(status)
            except OSError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(6):
            set_traffic(svc, {one.pk: 50, two.pk: 50} if round_ % 2 == 0 else {one.pk: 100})
            router_module.sync()  # runtime weights
            serving_version(svc, 0, (upstream(b"extra"),))  # a new backend: a reload
            router_module.sync()
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert failures == []
    assert seen[b"one"] > 0 and seen[b"two"] > 0
    assert seen[b"extra"] == 0
