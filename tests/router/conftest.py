"""Helpers for router tests: versions in a given state without a real deploy."""
import pytest
from django.utils import timezone

from hosting.models import Instance, Version
from hosting.status import VersionStatus
from tests.base import make_version


def serving_version(service, share: int = 0, ports: tuple[int, ...] = (), **config) -> Version:
    """A normal version with `share` percent and one ready instance per port."""
    version = make_version(service, **config)
    Version.objects.filter(pk=version.pk).update(status=VersionStatus.NORMAL, traffic_percent=share,
                                                 desired_instances=len(ports))
    for ordinal, port in enumerate(ports):
        Instance.objects.create(version=version, ordinal=ordinal, name=Instance.name_for(version, ordinal),
                                host_port=port, status="running", ready=True, started=timezone.now())
    version.refresh_from_db()
    return version


@pytest.fixture
def make_serving():
    return serving_version
