"""The rollout's counters from a real HAProxy: answers by class from `show stat` and
per-request timings from the `timings` ring, counted once each, per version."""
import pytest

from hosting import router as router_module
from hosting.rollouts import counters
from tests.router.conftest import serving_version

pytestmark = pytest.mark.integration


def reading(svc, state: dict) -> dict:
    result = counters.read(svc.pk)
    assert result is not None
    return counters.accumulate(state, result)


def test_each_answer_is_counted_once_for_its_version_with_its_time(router, svc, upstream):
    old = serving_version(svc, 50, (upstream(b"old"),))
    new = serving_version(svc, 50, (upstream(b"new"),))
    router_module.sync()
    state = reading(svc, {})
    for _ in range(20):
        router.request(svc.host)
    router.request(new.preview_host)  # a preview is not the service's traffic
    state = reading(svc, state)
    state = reading(svc, state)  # nothing new: nothing added

    seen_new, seen_old = counters.observed(state, [new.pk]), counters.observed(state, [old.pk])
    assert (seen_new.requests, seen_old.requests) == (10, 10)
    assert seen_new.errors_5xx == 0 and seen_new.p95_ms is not None and seen_old.p95_ms is not None
    histograms = [state["step"][str(v.pk)]["hist"] for v in (old, new)]
    assert [sum(h.values()) for h in histograms] == [10, 10]


def test_a_new_step_starts_from_zero_and_keeps_counting(router, svc, upstream):
    version = serving_version(svc, 100, (upstream(b"ok"),))
    router_module.sync()
    state = reading(svc, {})
    for _ in range(5):
        router.request(svc.host)
    state = counters.new_step(reading(svc, state))
    for _ in range(3):
        router.request(svc.host)
    state = reading(svc, state)
    observed = counters.observed(state, [version.pk])
    assert observed.requests == 3
    assert sum(state["step"][str(version.pk)]["hist"].values()) == 3


def test_the_p95_is_the_bucket_that_holds_95_percent():
    histogram: dict = {}
    for ms in range(1, 101):  # 1..100 ms, one request each: the exact p95 is 95 ms
        histogram[str(counters.bucket(ms))] = histogram.get(str(counters.bucket(ms)), 0) + 1
    assert 95 <= counters.percentile(histogram) <= 95 * counters.BUCKET_BASE
    assert counters.percentile({}) is None


def test_the_timings_ring_can_be_turned_off():
    from hosting.router.model import Endpoints, RouterState
    from hosting.router.render import render

    def config(timings: bool) -> str:
        ends = Endpoints("127.0.0.1", 8080, "127.0.0.1", 8081, "/tmp/s.sock", "/tmp/m.map",
                         timings=timings)
        return render(RouterState(ends)).text

    assert "log ring@timings" in config(True) and "ring timings" in config(True)
    assert "ring timings" not in config(False) and "log-format" not in config(False)


def test_with_the_ring_off_answers_are_counted_without_a_p95(router, svc, upstream, settings):
    settings.ROUTER_TIMINGS = False
    version = serving_version(svc, 100, (upstream(b"ok"),))
    router_module.sync()  # a reload onto the config without the ring
    state = reading(svc, {})
    for _ in range(4):
        router.request(svc.host)
    observed = counters.observed(reading(svc, state), [version.pk])
    assert (observed.requests, observed.p95_ms) == (4, None)
