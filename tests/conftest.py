import pytest
from django.db import connection

from tests.base import make_world

# Fixtures that start real servers on free loopback ports; each module has one owner.
pytest_plugins = ["tests.servers.podman", "tests.servers.registry", "tests.servers.router", "tests.servers.worker", "tests.servers.browser"]


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
