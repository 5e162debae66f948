"""The deploy pipeline's phases against the in-memory runtime (no engine, no registry)."""
import pytest

from hosting.domain.versions import delete_version
from hosting.models import Version
from hosting.orchestration import deploy
from hosting.runtimes.memory import Behaviour
from tests.base import deploy_now
from tests.runtime.conftest import DIGEST, deployed, new_version, publish


def test_a_healthy_image_reaches_normal(svc, mem):
    version = deployed(svc, mem)
    assert version.status == "normal"
    assert version.image_digest == DIGEST
    assert version.desired_instances == 1
    instance = version.instances.get()
    assert instance.ready and instance.status == "running"
    kinds = list(version.events.values_list("kind", flat=True))
    for kind in ("deploy:resolve", "deploy:pull", "deploy:start", "deploy:health", "status:normal"):
        assert kind in kinds
    assert mem.pulls == [(version.image_ref, {"username": "x", "password": "y"})]


def test_it_skips_the_pull_when_the_image_is_present(svc, mem):
    ref = publish(mem, svc)
    mem.local.add(ref)
    version = deployed(svc, mem)
    assert version.status == "normal" and mem.pulls == []


def test_min_0_with_traffic_kept_at_0_is_normal_with_no_instance(svc, mem):
    version = deployed(svc, mem, min_replicas=0, traffic_policy="keep_zero")
    assert version.status == "normal"
    assert version.desired_instances == 0
    assert not version.instances.exists() and not mem.instances


def test_open_full_takes_all_the_traffic(svc, mem):
    version = deployed(svc, mem, traffic_policy="open_full", min_replicas=2)
    assert version.status == "normal" and version.traffic_percent == 100
    assert version.instances.filter(ready=True).count() == 2


@pytest.mark.parametrize("tag, behaviour, port, reason_words", [
    ("nope", None, 8080, "Image not found"),
    ("v1", Behaviour(exit_code=3, logs=["failing on purpose"]), 8080, "exited with code 3"),
    ("v1", Behaviour(listen_port=9090), 8080, "the app listens on 9090"),
    ("v1", Behaviour(oom=True), 8080, "Out of memory"),
    ("v1", Behaviour(http_status=503), 8080, "HTTP 503"),
])
def test_a_failing_deploy_says_why(svc, mem, tag, behaviour, port, reason_words):
    version = deployed(svc, mem, behaviour, image_tag=tag, port=port)
    assert version.status == "deploy_failed"
    error = version.latest_error()
    assert reason_words in error.message, error.message
    assert not mem.instances and not version.instances.exists()
    assert version.desired_instances == 0


def test_the_error_log_of_an_exited_container_has_its_last_lines(svc, mem):
    version = deployed(svc, mem, Behaviour(exit_code=3, logs=["failing on purpose"]))
    detail = version.latest_error().detail
    assert "Exit code: 3" in detail and "stdout: failing on purpose" in detail


def test_a_denied_pull_is_reported(svc, mem):
    mem.denied.add(publish(mem, svc))
    version = deployed(svc, mem)
    assert version.status == "deploy_failed"
    assert "denied" in version.latest_error().message


def test_running_the_deploy_again_changes_nothing(svc, mem):
    version = deployed(svc, mem)
    ids = {name: i.observed.id for name, i in mem.instances.items()}
    events = version.events.count()
    deploy_now(version.pk)
    assert {name: i.observed.id for name, i in mem.instances.items()} == ids
    assert version.events.count() == events


def test_a_deploy_killed_after_starting_reuses_its_container(svc, mem):
    publish(mem, svc)
    version = new_version(svc)
    deploy.resolve_image(version, mem)
    deploy.pull_image(version, mem)
    deploy.start_instances(version, mem)  # ... and the worker dies here
    first = {i.observed.id for i in mem.instances.values()}
    deploy_now(version.pk)
    assert {i.observed.id for i in mem.instances.values()} == first
    assert Version.objects.get(pk=version.pk).status == "normal"


def test_a_version_deleted_mid_deploy_leaves_no_instance(svc, mem, monkeypatch):
    publish(mem, svc)
    version = new_version(svc, min_replicas=2)
    original = deploy.wait_initial_delay

    def delete_then_wait(v, runtime):
        delete_version(Version.objects.get(pk=v.pk))
        original(v, runtime)

    monkeypatch.setattr(deploy, "PHASES", [delete_then_wait if p is original else p
                                           for p in deploy.PHASES])
    deploy_now(version.pk)
    version.refresh_from_db()
    assert version.status == "deleted"
    assert not mem.instances and not version.instances.exists()
    assert version.events.filter(kind="created").exists()  # events are kept


def test_a_re_pushed_tag_does_not_change_a_deployed_version(svc, mem):
    version = deployed(svc, mem)
    mem.tags["v1"] = "sha256:" + "cd" * 32
    deploy_now(version.pk)
    assert Version.objects.get(pk=version.pk).image_digest == DIGEST


def test_remove_stops_instances_and_marks_a_deleting_version_deleted(svc, mem):
    version = deployed(svc, mem, min_replicas=2)
    delete_version(version)
    deploy.remove(version.pk)
    version.refresh_from_db()
    assert version.status == "deleted" and not mem.instances
