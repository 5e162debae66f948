"""The version page's timeline of instance starts, in English and Chinese."""
import pytest
from django.urls import reverse

from console import timeline
from hosting.models import InstanceStart
from hosting.orchestration import phases
from hosting.status import VersionStatus
from tests.base import make_version

pytestmark = pytest.mark.django_db


def cold_start(version, name="h-alpha-testservice-001-0", container="c1") -> InstanceStart:
    """A cold start of 2.4 s of which the wake took 2.1 s."""
    return InstanceStart.objects.create(
        version=version, ordinal=0, instance_name=name, container_id=container, kind="cold",
        phases=[phases.phase("wake", 100.0, 102.1), phases.phase("create", 102.1, 102.2),
                phases.phase("health", 102.2, 102.3), phases.phase("proxy", 102.3, 102.4)])


@pytest.fixture
def version(world):
    version = make_version(world["svc"], min_replicas=0)
    version.set_status(VersionStatus.NORMAL)
    return version


def test_segments_are_shares_of_the_whole_start(version):
    line = timeline.timeline(cold_start(version))
    assert [(s.name, s.percent) for s in line.segments] == [
        ("wake", 87.5), ("create", 4.2), ("health", 4.2), ("proxy", 4.2)]
    assert (line.longest.name, line.longest.seconds, line.total) == ("wake", 2.1, 2.4)


def test_a_start_with_no_phases_draws_an_empty_bar(version):
    empty = InstanceStart.objects.create(version=version, ordinal=0, instance_name="x",
                                         container_id="c0", phases=[])
    line = timeline.timeline(empty)
    assert (line.segments, line.longest, line.total) == ([], None, 0)


def test_the_version_page_draws_a_start_that_outlived_its_instance(alice, version):
    cold_start(version)
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert "Recent starts" in body and "Cold start" in body
    assert "wake 2.10 s of 2.40 s" in body
    assert 'class="phase phase-wake" style="width: 87.5%"' in body


def test_the_page_shows_only_the_latest_five_starts(alice, version):
    for n in range(7):
        cold_start(version, name=f"start-{n}", container=f"c{n}")
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert body.count('<li class="start">') == 5


def test_the_timeline_speaks_chinese(alice, version):
    cold_start(version)
    alice.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    body = alice.get(reverse("version", args=[version.pk])).content.decode()
    assert "最近的启动" in body and "冷启动" in body
    assert "唤醒 2.10 秒，共 2.40 秒" in body


def test_other_tenants_never_see_the_timeline(world, version):
    from tests.console.conftest import client_for

    cold_start(version)
    assert client_for(world["bob"]).get(reverse("version", args=[version.pk])).status_code == 404
