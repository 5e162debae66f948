"""Control work is never stuck behind deploys: with eight deploys waiting out an
InitialDelaySeconds of 60 s at once, a traffic change on another service reaches HAProxy
and the autoscaler's tick acts within a few seconds (real workers, Redis, Podman,
registry and HAProxy; nothing in this process runs a worker's step).

Before deploys were level-triggered, each of those deploys held a worker process asleep
for the whole minute, and the control tasks queued behind them.
"""
import pytest
from django.conf import settings

from hosting.domain.traffic import set_traffic
from hosting.models import Version
from tests.base import make_service, make_version
from tests.e2e.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SLOW_DEPLOYS = 8
SLOW_DELAY = 60
BEAT_SECONDS = 2.0
# Generous against a loaded machine, and still far under the deploys' 60 s delay.
CONTROL_DEADLINE = 30.0


@pytest.fixture
def fast_beat(settings):
    """Settings the worker starts with (the fixture passes AUTOSCALE_* to it)."""
    settings.AUTOSCALE_INTERVAL_SECONDS = BEAT_SECONDS
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5


def normal(version: Version) -> bool:
    version.refresh_from_db()
    assert version.status in {"creating", "normal"}, version.latest_error()
    return version.status == "normal"


def env_page(router, host: str) -> str:
    status, body, _headers = router.request(host, "/cgi-bin/env", timeout=10)
    return body.decode(errors="replace") if status == 200 else ""


def test_traffic_and_autoscaling_are_not_held_up_by_eight_slow_deploys(
        fast_beat, live_server, live_world, platform, push_test_image):
    router, worker = platform["router"], platform["worker"]
    other = make_service(live_world["alpha"], "other")
    push_test_image(str(other.repository), "v1")
    push_test_image(str(live_world["svc"].repository), "v1")
    blue = make_version(other, port=8080, initial_delay_seconds=0, traffic_policy="open_full",
                        env=[("MESSAGE", "blue")])
    wait_for(lambda: normal(blue), what="the blue version normal")
    green = make_version(other, port=8080, initial_delay_seconds=0, min_replicas=1,
                         max_replicas=3, env=[("MESSAGE", "green")])
    wait_for(lambda: normal(green), what="the green version normal")
    host = f"other.alpha.{settings.APPS_DOMAIN}"
    wait_for(lambda: "message=blue" in env_page(router, host), what="blue routed")

    slow = [make_version(live_world["svc"], port=8080, initial_delay_seconds=SLOW_DELAY)
            for _ in range(SLOW_DEPLOYS)]
    wait_for(lambda: all(Version.objects.get(pk=v.pk).next_check_at for v in slow),
             seconds=120, what=f"all {SLOW_DEPLOYS} deploys waiting out their delay")

    set_traffic(other, {green.pk: 100})
    wait_for(lambda: "message=green" in env_page(router, host), seconds=CONTROL_DEADLINE,
             what=f"the traffic change routed (worker log:\n{worker.tail()})")
    # Blue lost its traffic; with more instances than its minimum, a tick scales it down.
    Version.objects.filter(pk=blue.pk).update(desired_instances=2)
    wait_for(lambda: blue.events.filter(kind="scale", message__contains="no traffic").exists(),
             seconds=CONTROL_DEADLINE, what="an autoscaler tick acting on blue")
    assert Version.objects.get(pk=blue.pk).desired_instances == 1
    still = Version.objects.filter(pk__in=[v.pk for v in slow]).values_list("status", flat=True)
    assert set(still) == {"creating"}, "the slow deploys ended first: the test proves nothing"
