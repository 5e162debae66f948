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
    assert spec.name == "h-alpha-testservice-001-2" == spec.instance_name
    assert spec.labels == {
        "hosting.namespace": "hosting", "hosting.tenant": "alpha",
        "hosting.service": str(svc.pk), "hosting.version": str(version.pk),
        "hosting.version-name": "testservice-001", "hosting.instance": "2",
    }
    assert spec.env == {"MESSAGE": "héllo", "B": "2"}
    assert (spec.port, spec.host_ip, spec.host_port) == (8080, "127.0.0.1", None)


def test_it_pins_the_image_to_the_digest(svc):
    version = make_version(svc)
    assert specs.instance_spec(version, 0).image.endswith("/alpha/testservice:v1")
    version.image_digest = "sha256:" + "0" * 64
    assert specs.instance_spec(version, 0).image.endswith("/alpha/testservice@sha256:" + "0" * 64)


def test_another_namespace_prefixes_names_and_changes_the_selector(svc):
    version = make_version(svc)
    with override_settings(RUNTIME_NAMESPACE="t123"):
        spec = specs.instance_spec(version, 0)
        assert spec.name == "t123-h-alpha-testservice-001-0"
        assert spec.instance_name == "h-alpha-testservice-001-0"
        assert spec.labels["hosting.namespace"] == "t123"


@pytest.mark.parametrize("labels, vid, ordinal", [
    ({"hosting.version": "7", "hosting.instance": "1"}, 7, 1),
    ({"hosting.version": "x"}, None, None),
    ({}, None, None),
])
def test_it_reads_ids_back_from_labels(labels, vid, ordinal):
    assert specs.version_id_of(labels) == vid
    assert specs.ordinal_of(labels) == ordinal
