"""A CPU-burning container scales its version up by one, and back down once it stops.

Real Podman (CPU limits and stats), real HAProxy; the beat ticks are called by the test:
reconcile (samples CPU), the autoscaler, and converge (what the worker would run).
"""
import time

import pytest

from hosting.autoscale import tick
from hosting.models import Version
from hosting.orchestration import observe, reconcile
from tests.base import deploy_now
from tests.runtime.conftest import new_version

pytestmark = pytest.mark.integration


@pytest.fixture
def no_broker(task_sends):
    return task_sends


def step(version_id: int) -> Version:
    """One beat: reconcile (CPU samples), autoscale, converge the result."""
    reconcile.reconcile_all()
    observe.collect()
    tick.autoscale(version_id)
    reconcile.converge(version_id)
    return Version.objects.get(pk=version_id)


def run_until(version_id: int, predicate, seconds: float = 90.0) -> Version:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        version = step(version_id)
        if predicate(version):
            return version
        time.sleep(0.5)
    raise AssertionError(f"not reached in {seconds}s: {Version.objects.get(pk=version_id).events.last()}")


def test_a_busy_version_gets_one_more_instance_then_one_less(
        world, podman, registry_server, push_test_image, no_broker, router, settings):
    settings.AUTOSCALE_COOLDOWN_SECONDS = 1
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    push_test_image("alpha/testservice", "v1", image="cpuburn")
    # max 2: on a loaded host one CPU sample of the burning container can read above its
    # limit, and an honest policy then asks for a third; the bound is what must hold.
    version = new_version(world["svc"], resource_spec="c0.25-m0.5", min_replicas=1,
                          max_replicas=2, cpu_target=60, traffic_policy="open_full")
    deploy_now(version.pk)
    assert Version.objects.get(pk=version.pk).status == "normal"

    status, body, _ = router.request(version.service.host, "/cgi-bin/burn?seconds=12")
    assert status == 200 and b"burning" in body

    # Converge starts the second instance and later ticks find it healthy (nothing waits).
    up = run_until(version.pk, lambda v: v.desired_instances == 2
                   and v.instances.filter(ready=True).count() == 2)
    assert up.events.filter(kind="scale", message__contains="1 → 2").exists()

    down = run_until(version.pk, lambda v: v.desired_instances == 1)
    assert down.events.filter(kind="scale", message__contains="2 → 1").exists()
    first_scale = down.events.filter(kind="scale").order_by("pk").first()
    assert "1 → 2" in first_scale.message  # one more, not a jump
    assert not down.events.filter(kind="scale", message__contains="→ 3").exists()
