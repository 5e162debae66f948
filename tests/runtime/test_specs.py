"""The pure spec builders: names, labels, env and limits from a version."""
import pytest
from django.test import override_settings

from hosting.runtimes import specs
from tests.base import make_version


@pytest.mark.parametrize("spec_key, nano, mem", [
    ("c0.25-m0.5", 250_000_000, 512 * 2**20),
    ("c0.5-m1", 500_000_000, 2**30),
    ("c2-m4", 2_000_000_000, 4 * 2**30),
])
def test_limits_follow_the_resource_spec(svc, spec_key, nano, mem):
    version = make_version(svc, resource_spec=spec_key)
    spec = specs.instance_spec(version, 0)
    assert (spec.nano_cpus, spec.mem_limit) == (nano, mem)


def test_it_names_and_labels_instances_deterministically(svc):
    version = make_version(svc, env=[("MESSAGE", "héllo"), ("B", "2")], port=8080)
    spec = specs.instance_spec(version, 2)
    assert spec == specs.instance_spec(version, 2)
    assert spec.name == f"h-t{svc.tenant_id}-v{version.pk}-2" == spec.instance_name
    assert spec.labels == {
        "hosting.namespace": "hosting", "hosting.tenant": "alpha",
        "hosting.tenant-id": str(svc.tenant_id),
        "hosting.service": str(svc.pk), "hosting.version": str(version.pk),
        "hosting.version-name": "testservice-001", "hosting.instance": "2",
    }
    assert spec.env == {"MESSAGE": "héllo", "B": "2"}
    assert spec.port == 8080


def test_it_pins_the_image_to_the_digest(svc):
    version = make_version(svc)
    assert specs.instance_spec(version, 0).image.endswith("/alpha/testservice:v1")
    version.image_digest = "sha256:" + "0" * 64
    assert specs.instance_spec(version, 0).image.endswith("/alpha/testservice@sha256:" + "0" * 64)


def test_another_namespace_prefixes_names_and_changes_the_selector(svc):
    version = make_version(svc)
    with override_settings(RUNTIME_NAMESPACE="t123"):
        spec = specs.instance_spec(version, 0)
        assert spec.name == f"t123-h-t{svc.tenant_id}-v{version.pk}-0"
        assert spec.instance_name == f"h-t{svc.tenant_id}-v{version.pk}-0"
        assert spec.labels["hosting.namespace"] == "t123"
        assert spec.network == f"t123-t{svc.tenant_id}"


@pytest.mark.parametrize("labels, vid, ordinal", [
    ({"hosting.version": "7", "hosting.instance": "1"}, 7, 1),
    ({"hosting.version": "x"}, None, None),
    ({}, None, None),
])
def test_it_reads_ids_back_from_labels(labels, vid, ordinal):
    assert specs.version_id_of(labels) == vid
    assert specs.ordinal_of(labels) == ordinal


def test_names_of_hyphenated_tenants_and_services_never_collide(db):
    from hosting.domain.tenants import create_tenant
    from tests.base import make_service

    acme, _ = create_tenant("acme", "acme-owner")
    acme_corp, _ = create_tenant("acme-corp", "acme-corp-owner")
    one = make_version(make_service(acme, "corp-web"))
    other = make_version(make_service(acme_corp, "web"))
    first, second = specs.instance_spec(one, 0), specs.instance_spec(other, 0)
    assert first.name != second.name and first.network != second.network


@pytest.mark.parametrize("port, caps", [(8080, ()), (1024, ()), (80, ("NET_BIND_SERVICE",))])
def test_containers_get_back_only_the_capability_a_low_port_needs(svc, port, caps):
    spec = specs.instance_spec(make_version(svc, port=port), 0)
    assert spec.cap_add == caps
    assert (spec.pids_limit, spec.userns) == (256, "auto")


def test_tenant_networks_can_be_turned_off(svc):
    with override_settings(TENANT_NETWORKS=False):
        assert specs.instance_spec(make_version(svc), 0).network is None


def test_an_operator_can_allow_more_capabilities(svc):
    with override_settings(RUNTIME_CAP_ADD=["cap_setuid", "SETGID"]):
        spec = specs.instance_spec(make_version(svc, port=80), 0)
    assert spec.cap_add == ("SETUID", "SETGID", "NET_BIND_SERVICE")


def test_the_root_is_read_only_with_capped_tmpfs_where_apps_and_log_paths_write(svc):
    version = make_version(svc, log_paths=["stdout", "/var/log/app/app.log", "/srv/logs/"])
    spec = specs.instance_spec(version, 0)
    assert spec.read_only and (spec.tmpfs_mib, spec.log_max_mib) == (64, 16)
    assert spec.tmpfs == ("/tmp", "/var/tmp", "/run", "/var/log/app", "/srv")


def test_a_log_file_at_the_top_never_makes_the_whole_root_writable(svc):
    spec = specs.instance_spec(make_version(svc, log_paths=["/app.log"]), 0)
    assert "/" not in spec.tmpfs


def test_an_operator_can_turn_the_read_only_root_off_or_change_the_writable_paths(svc):
    with override_settings(RUNTIME_READ_ONLY_ROOT=False):
        spec = specs.instance_spec(make_version(svc, log_paths=["/var/log/app/app.log"]), 0)
    assert (spec.read_only, spec.tmpfs) == (False, ())
    with override_settings(RUNTIME_WRITABLE_PATHS=["/scratch"], RUNTIME_TMPFS_MIB=8):
        spec = specs.instance_spec(make_version(svc), 0)
    assert (spec.tmpfs, spec.tmpfs_mib) == (("/scratch",), 8)


@pytest.mark.parametrize("user, size", [
    ("", 1024), ("root", 1024), ("0:0", 1024), ("33:33", 1024), ("1023", 1024),
    ("1024", 65536), ("65532:65532", 65536), ("nonroot", 65536), ("app:1000", 65536),
    ("1000:nogroup", 65536),
])
def test_podman_user_namespaces_are_sized_from_the_images_user(user, size):
    """Never left to Podman 4.3, which deadlocked measuring the image (runtimes/local.py)."""
    from hosting.runtimes.local import userns_size

    assert userns_size(user) == size
