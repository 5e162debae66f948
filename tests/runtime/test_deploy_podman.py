"""Deploys end to end on real Podman with the real registry and the offline test images."""
import subprocess
import urllib.request
import uuid

import pytest

from hosting.domain.versions import delete_version
from hosting.models import InstanceStart, Version
from hosting.orchestration import deploy, logs, observe, reconcile
from tests.base import deploy_now, wait_for
from tests.runtime.conftest import new_version
from tests.servers.podman import version_filter

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"


@pytest.fixture
def no_broker(task_sends):
    """Tests call deploy()/converge() themselves: nothing goes to Redis."""
    return task_sends


@pytest.fixture
def platform(world, podman, registry_server, push_test_image, no_broker, settings):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    return world


def labelled(podman, version) -> list:
    return podman.containers.list(all=True, filters=version_filter(version))


def deployed(svc, **config) -> Version:
    version = new_version(svc, **config)
    deploy_now(version.pk)
    return Version.objects.get(pk=version.pk)


def get(instance, path: str = "/") -> str:
    with urllib.request.urlopen(f"http://{instance.host_ip}:{instance.host_port}{path}", timeout=5) as response:
        return response.read().decode()


def test_a_healthy_image_reaches_normal_with_env_and_limits(platform, podman, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(platform["svc"], env=[("MESSAGE", "hi there")], resource_spec="c0.25-m0.5")
    assert version.status == "normal", version.latest_error()
    assert version.image_digest.startswith("sha256:")
    instance = version.instances.get()
    assert instance.ready
    assert "hosting testimage httpd ok" in get(instance)
    assert "message=hi there" in get(instance, "/cgi-bin/env")
    (container,) = labelled(podman, version)
    attrs = container.attrs
    assert "MESSAGE=hi there" in attrs["Config"]["Env"]
    assert attrs["HostConfig"]["NanoCpus"] == 250_000_000
    assert attrs["HostConfig"]["Memory"] == 512 * 2**20
    assert attrs["Config"]["Image"].endswith(f"{REPO}@{version.image_digest}")


def test_it_pulls_an_image_the_host_does_not_have(platform, podman, push_test_image,
                                                  registry_images, tmp_path, request):
    """A fresh image (unique label), pushed and then deleted locally: only the registry has
    it, so the deploy must pull it with the platform's pull credential."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {registry_images['httpd']}\nLABEL hosting.test.unique={uuid.uuid4().hex}\n")
    local = f"localhost/hosting-test/unique-{uuid.uuid4().hex[:12]}"
    subprocess.run(["podman", "build", "-q", "--pull=never", "-t", local, str(tmp_path)],
                   check=True, capture_output=True)
    registry_images["unique"] = local
    pushed = push_test_image(REPO, "v2", image="unique")
    subprocess.run(["podman", "rmi", "-f", local, pushed], check=True, capture_output=True)
    version = deployed(platform["svc"], image_tag="v2")
    request.addfinalizer(lambda: subprocess.run(["podman", "rmi", "-f", version.image_ref],
                                                capture_output=True))
    assert version.status == "normal", version.latest_error()
    assert "pulled" in version.events.get(kind="deploy:pull").message
    start = InstanceStart.objects.get(version=version)  # the pull is part of the start
    assert [p["name"] for p in start.phases] == ["resolve", "pull", "create", "start", "health"]
    assert start.phases[1]["detail"]["cached"] is False
    assert start.phases[1]["detail"]["bytes"] > 0  # Podman tells the image's size


@pytest.mark.parametrize("image, tag, words", [
    ("exits", "v1", "exited with code 3"),
    ("wrongport", "v1", "Nothing is listening on port 8080; the app listens on 9090"),
    ("httpd", "missing", "Image not found"),
])
def test_a_failing_deploy_ends_deploy_failed_with_the_reason(platform, podman, push_test_image,
                                                             image, tag, words):
    push_test_image(REPO, "v1", image=image)
    version = deployed(platform["svc"], image_tag=tag)
    assert version.status == "deploy_failed"
    error = version.latest_error()
    assert words in error.message, error.message
    assert labelled(podman, version) == []
    if image == "exits":
        assert "failing on purpose with code 3" in error.detail


def test_a_container_killed_from_outside_is_replaced(platform, podman, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(platform["svc"])
    (container,) = labelled(podman, version)
    container.kill()
    wait_for(lambda: podman.containers.get(container.id).status == "exited")
    reconcile.reconcile_all()
    (replacement,) = labelled(podman, version)
    assert replacement.id != container.id and replacement.status == "running"
    instance = version.instances.get()
    assert instance.container_id == replacement.id and instance.ready
    assert "hosting testimage httpd ok" in get(instance)


def test_a_version_deleted_mid_deploy_leaves_no_container(platform, podman, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = new_version(platform["svc"], initial_delay_seconds=30, min_replicas=2)
    assert deploy.deploy(version.pk) is not None  # started, then "look again in 30 s"
    assert len(labelled(podman, version)) == 2
    delete_version(Version.objects.get(pk=version.pk))
    Version.objects.filter(pk=version.pk).update(next_check_at=None)  # the look comes
    assert deploy.deploy(version.pk) is None
    assert labelled(podman, version) == []
    assert Version.objects.get(pk=version.pk).status == "deleted"


def test_min_0_with_traffic_kept_at_0_is_normal_with_no_container(platform, podman, push_test_image):
    push_test_image(REPO, "v1", image="httpd")
    version = deployed(platform["svc"], min_replicas=0, traffic_policy="keep_zero")
    assert version.status == "normal"
    assert labelled(podman, version) == []


def test_logs_from_stdout_and_a_log_file_survive_the_instance(platform, podman, push_test_image):
    push_test_image(REPO, "v1", image="logfiles")
    version = deployed(platform["svc"], env=[("LOG_INTERVAL", "0.1")],
                       log_paths=["stdout", "/var/log/app/app.log"])
    assert version.status == "normal", version.latest_error()

    def both_sources():
        observe.collect(everything=True)
        return {e.source for e in logs.read_logs(version)} >= {"stdout", "/var/log/app/app.log"}

    wait_for(both_sources)
    Version.objects.filter(pk=version.pk).update(desired_instances=0)
    reconcile.converge(version.pk)
    assert labelled(podman, version) == []
    entries = logs.read_logs(version, tail=10_000)
    by_source = {}
    for entry in entries:
        by_source.setdefault(entry.source, []).append(entry.line)
    for lines in by_source.values():
        assert len(lines) == len(set(lines)), "a line was stored twice"
    assert by_source["stdout"] and by_source["/var/log/app/app.log"]


def test_hyphenated_tenant_and_service_pairs_deploy_side_by_side(platform, podman, push_test_image):
    """acme/corp-web and acme-corp/web once made the same container names."""
    from hosting.domain.tenants import create_tenant
    from tests.base import make_service

    versions = []
    for slug, service in (("acme", "corp-web"), ("acme-corp", "web")):
        tenant, _key = create_tenant(slug, f"{slug}-owner", password=f"{slug}-password-1")
        push_test_image(f"{slug}/{service}", "v1", username=f"{slug}-owner",
                        password=f"{slug}-password-1")
        versions.append(deployed(make_service(tenant, service), env=[("MESSAGE", slug)]))
    one, other = versions
    assert (one.status, other.status) == ("normal", "normal"), (one.latest_error(), other.latest_error())
    (first,), (second,) = labelled(podman, one), labelled(podman, other)
    assert first.name != second.name
    assert set(first.attrs["NetworkSettings"]["Networks"]) != set(second.attrs["NetworkSettings"]["Networks"])
    assert "message=acme\n" in get(one.instances.get(), "/cgi-bin/env")
    assert "message=acme-corp" in get(other.instances.get(), "/cgi-bin/env")
    delete_version(one)
    deploy.remove(one.pk)
    assert labelled(podman, one) == [] and len(labelled(podman, other)) == 1
    assert "message=acme-corp" in get(other.instances.get(), "/cgi-bin/env")
