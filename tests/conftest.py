import pytest
from django.db import connection

from tests.base import make_world

# Fixtures that start real servers on free loopback ports; each module has one owner.
pytest_plugins = ["tests.servers.podman", "tests.servers.registry", "tests.servers.router",
                  "tests.servers.worker", "tests.servers.browser", "tests.servers.cluster"]


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def svc(world):
    return world["svc"]


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def task_sends(monkeypatch) -> list:
    """Celery sends recorded as (task name, args) instead of queued: tests that run the
    worker's part themselves call the domain functions directly."""
    from hosting import tasks

    sent: list = []
    for name in ("deploy_version", "delete_version", "converge_version", "sync_router"):
        monkeypatch.setattr(getattr(tasks, name), "delay",
                            lambda *args, _name=name: sent.append((_name, args)))
    return sent
