"""A suspended app behind real HAProxy: a clear 503 from the activator, never a wake-up."""
import pytest

from hosting import router as router_module
from hosting import runtimes
from hosting.activator import versions as activator_versions
from hosting.domain import billing
from hosting.models import Version
from hosting.orchestration import reconcile
from hosting.runtimes.memory import MemoryRuntime
from tests.router.conftest import serving_version

pytestmark = pytest.mark.integration


@pytest.fixture
def no_broker(task_sends):
    return task_sends


@pytest.fixture
def memory_runtime(settings):
    settings.RUNTIME_BACKEND = "memory"
    runtimes.override(MemoryRuntime())
    yield
    runtimes.override(None)


def test_a_suspended_app_answers_503_saying_why(router, svc, world, activator, upstream,
                                                no_broker, memory_runtime, monkeypatch):
    woken = []
    monkeypatch.setattr(activator_versions, "converge", woken.append)
    version = serving_version(svc, 100, (upstream(b"hello"),))
    router_module.sync()
    assert router.request(svc.host)[:2] == (200, b"hello")

    billing.suspend_for_arrears(world["alpha"])
    reconcile.converge(version.pk)  # the worker's part: the instance goes, the router syncs

    for host in (svc.host, version.preview_host):
        status, body, headers = router.request(host)
        assert status == 503 and b"suspended" in body and b"arrears" in body, body
        assert "retry-after" in headers
    assert woken == []
    assert Version.objects.get(pk=version.pk).desired_instances == 0
