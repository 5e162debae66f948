"""Every rule of a version's two wizard steps, through the domain function all surfaces use."""
import pytest
from django.core.exceptions import ValidationError

from hosting.domain.config import VersionConfig, validate_step
from hosting.domain.versions import create_version
from hosting.models import Version

pytestmark = pytest.mark.django_db


def rejected(svc, **fields) -> dict:
    """Try to create a version; return the error dict and assert nothing was saved."""
    before = (Version.objects.count(), type(svc).objects.get(pk=svc.pk).last_sequence)
    with pytest.raises(ValidationError) as caught:
        create_version(svc, VersionConfig(**{"image_tag": "v1", **fields}))
    after = (Version.objects.count(), type(svc).objects.get(pk=svc.pk).last_sequence)
    assert after == before, "a rejected version must leave nothing behind"
    return caught.value.message_dict


def test_defaults_follow_the_product_description(svc):
    version = create_version(svc, VersionConfig(image_tag="v1"))
    assert version.port == 80
    assert version.traffic_policy == "keep_zero"
    assert (version.min_replicas, version.max_replicas) == (1, 50)
    assert version.cpu_target == 60
    assert version.initial_delay_seconds == 2
    assert version.log_paths == ["stdout"]
    assert (version.resource_spec, version.cpu_millis, version.memory_mib) == ("c0.5-m1", 500, 1024)
    assert version.status == "creating"


def test_fifty_cjk_characters_are_a_valid_description(svc):
    version = create_version(svc, VersionConfig(image_tag="v1", description="版" * 50))
    assert Version.objects.get(pk=version.pk).description == "版" * 50


def test_fifty_one_characters_are_not(svc):
    errors = rejected(svc, description="版" * 51)
    assert "50" in errors["description"][0]


@pytest.mark.parametrize("port", [0, 65536, -1, "80"])
def test_it_rejects_ports_outside_1_to_65535(svc, port):
    errors = rejected(svc, port=port)
    assert "1 to 65535" in errors["port"][0]


@pytest.mark.parametrize("port", [1, 65535, 8080])
def test_it_accepts_ports_at_the_edges(svc, port):
    assert create_version(svc, VersionConfig(image_tag="v1", port=port)).port == port


@pytest.mark.parametrize("lo,hi,field,limit", [
    (-1, 5, "min_replicas", "0 to 50"),
    (51, 51, "min_replicas", "0 to 50"),
    (0, 51, "max_replicas", "1 to 50"),
    (0, 0, "max_replicas", "1 to 50"),
    (5, 4, "min_replicas", "greater than max_replicas"),
])
def test_it_rejects_bad_replica_bounds(svc, lo, hi, field, limit):
    errors = rejected(svc, min_replicas=lo, max_replicas=hi)
    assert limit in errors[field][0]


def test_min_zero_and_max_fifty_are_allowed(svc):
    version = create_version(svc, VersionConfig(image_tag="v1", min_replicas=0, max_replicas=50))
    assert (version.min_replicas, version.max_replicas) == (0, 50)


@pytest.mark.parametrize("target", [0, 101])
def test_it_rejects_cpu_targets_outside_1_to_100(svc, target):
    assert "1 to 100" in rejected(svc, cpu_target=target)["cpu_target"][0]


@pytest.mark.parametrize("delay", [-1, 601])
def test_it_rejects_initial_delays_outside_0_to_600(svc, delay):
    assert "0 to 600" in rejected(svc, initial_delay_seconds=delay)["initial_delay_seconds"][0]


@pytest.mark.parametrize("paths,fragment", [
    ([], "at least one"),
    (["relative/path"], "absolute path"),
    (["/var/log/../etc"], "'..'"),
    (["stdout", "stdout"], "repeat"),
    (["/l%d" % i for i in range(11)], "at most 10"),
    (["/"], "whole file system"),
    (["//./"], "whole file system"),
    (["/proc/self/mem"], "system directory"),
    (["stdout", "/var/log"], "system directory"),
])
def test_it_rejects_bad_log_paths(svc, paths, fragment):
    assert fragment in rejected(svc, log_paths=paths)["log_paths"][0]


def test_it_keeps_several_log_paths(svc):
    paths = ["stdout", "/var/log/app/", "/var/log/app.log"]
    assert create_version(svc, VersionConfig(image_tag="v1", log_paths=paths)).log_paths == paths


@pytest.mark.parametrize("pairs,fragment", [
    ([("1ABC", "x")], "not a valid name"),
    ([("A-B", "x")], "not a valid name"),
    ([("A", "1"), ("A", "2")], "more than once"),
    ([("A", "x" * 4097)], "4096"),
])
def test_it_rejects_bad_env_vars(svc, pairs, fragment):
    assert fragment in rejected(svc, env=pairs)["env"][0]


def test_env_vars_are_stored_in_order(svc):
    version = create_version(svc, VersionConfig(image_tag="v1", env=[("B", "2"), ("A", "1")]))
    assert Version.objects.get(pk=version.pk).env == [["B", "2"], ["A", "1"]]


def test_it_rejects_an_unknown_resource_spec(svc):
    assert "c0.5-m1" in rejected(svc, resource_spec="huge")["resource_spec"][0]


def test_it_rejects_an_unknown_traffic_policy(svc):
    assert "keep_zero" in rejected(svc, traffic_policy="half")["traffic_policy"][0]


@pytest.mark.parametrize("tag", ["", "-bad", "a" * 129, "has space"])
def test_it_rejects_bad_image_tags(svc, tag):
    assert "image_tag" in rejected(svc, image_tag=tag)


def test_it_reports_every_bad_field_at_once(svc):
    errors = rejected(svc, port=0, description="x" * 51, cpu_target=0)
    assert {"port", "description", "cpu_target"} <= set(errors)


def test_a_wizard_step_checks_only_its_own_fields():
    cfg = VersionConfig(image_tag="v1", cpu_target=0)
    validate_step(cfg, ["image_tag", "port", "traffic_policy", "description"])
    with pytest.raises(ValidationError):
        validate_step(cfg, ["cpu_target"])
