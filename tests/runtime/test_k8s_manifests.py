"""The Kubernetes backend's pure builders: manifests, names, quantities (no cluster)."""
import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings

from hosting.runtimes.kubernetes import apply, manifests, names, resources
from tests.base import make_version

AUTH = {"username": "puller", "password": "secret", "serveraddress": "127.0.0.1:5000"}


def by_kind(objects):
    return {m["kind"]: m for m in objects}


def test_a_tenant_is_a_namespace_named_from_its_id(world):
    alpha, bravo = world["alpha"], world["bravo"]
    ns = manifests.namespace(alpha)
    assert ns["metadata"]["name"] == f"hosting-t{alpha.pk}" != manifests.namespace(bravo)["metadata"]["name"]
    assert ns["metadata"]["labels"] == {"hosting.namespace": "hosting", "hosting.tenant": "alpha"}


def test_the_namespace_prefix_follows_the_setting(world):
    with override_settings(KUBERNETES_NAMESPACE_PREFIX="plat"):
        assert names.namespace(world["alpha"].pk) == f"plat-t{world['alpha'].pk}"
    with override_settings(RUNTIME_NAMESPACE="test-x1"):
        assert names.namespace(7) == "test-x1-t7"


@pytest.mark.parametrize("spec_key, limits, requests", [
    ("c0.25-m0.5", {"cpu": "250m", "memory": "512Mi"}, {"cpu": "25m", "memory": "51Mi"}),
    ("c0.5-m1", {"cpu": "500m", "memory": "1024Mi"}, {"cpu": "50m", "memory": "102Mi"}),
    ("c4-m8", {"cpu": "4000m", "memory": "8192Mi"}, {"cpu": "400m", "memory": "819Mi"}),
])
def test_limits_follow_the_resource_spec_and_requests_the_overcommit(svc, spec_key, limits, requests):
    version = make_version(svc, resource_spec=spec_key)
    with override_settings(KUBERNETES_DISK_LIMIT_MIB=0):
        box = manifests.container(version)["resources"]
    assert (box["limits"], box["requests"]) == (limits, requests)


def test_disk_is_bounded_per_instance_by_the_setting(svc):
    with override_settings(KUBERNETES_DISK_LIMIT_MIB=2048, KUBERNETES_OVERCOMMIT=10):
        box = manifests.container(make_version(svc))["resources"]
    assert box["limits"]["ephemeral-storage"] == "2048Mi"
    assert box["requests"]["ephemeral-storage"] == "204Mi"
    assert box["limits"]["memory"] == "1024Mi"  # the rest is untouched


def test_requests_never_drop_to_zero():
    assert resources.requests_for(1, 1, 1000) == {"cpu": "1m", "memory": "1Mi"}


def test_a_version_is_a_deployment_pinned_to_its_digest(svc):
    version = make_version(svc, port=8080, initial_delay_seconds=5, env=[("A", "1")])
    version.image_digest = "sha256:" + "ab" * 32
    dep = manifests.deployment(version, replicas=2)
    assert dep["metadata"]["name"] == f"v{version.pk}"
    assert dep["spec"]["replicas"] == 2
    assert dep["spec"]["selector"]["matchLabels"] == {"hosting.namespace": "hosting",
                                                      "hosting.version": str(version.pk)}
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert "hosting.instance" not in labels and labels["hosting.version-name"] == version.name
    pod = dep["spec"]["template"]["spec"]
    box = pod["containers"][0]
    assert box["image"].endswith("/alpha/testservice@sha256:" + "ab" * 32)
    assert box["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert box["readinessProbe"]["tcpSocket"] == {"port": 8080}
    assert (box["readinessProbe"]["initialDelaySeconds"], box["readinessProbe"]["failureThreshold"]) == (5, 3)
    assert box["envFrom"] == [{"secretRef": {"name": f"v{version.pk}-env"}}]
    assert "env" not in box  # the values live only in the Secret
    assert pod["imagePullSecrets"] == [{"name": f"pull-s{svc.pk}"}]
    assert pod["automountServiceAccountToken"] is False
    assert box["securityContext"]["allowPrivilegeEscalation"] is False
    assert box["securityContext"]["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("port, cap_add, added", [
    (8080, [], []), (80, [], ["NET_BIND_SERVICE"]), (8080, ["cap_setuid"], ["SETUID"])])
def test_pods_get_back_the_same_capabilities_as_local_containers(svc, port, cap_add, added):
    with override_settings(RUNTIME_CAP_ADD=cap_add):
        box = manifests.pod_spec(make_version(svc, port=port))["containers"][0]
    assert box["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": added}


@pytest.mark.parametrize("enabled, host_users", [(True, False), (False, None)])
def test_pods_get_a_user_namespace_of_their_own_unless_the_setting_is_off(svc, enabled, host_users):
    with override_settings(KUBERNETES_USER_NAMESPACES=enabled):
        pod = manifests.pod_spec(make_version(svc))
    # Absent means the cluster's default, the node's own users (hostUsers: true).
    assert pod.get("hostUsers") is host_users


def test_the_root_is_read_only_and_each_writable_path_a_capped_memory_volume(svc):
    version = make_version(svc, log_paths=["stdout", "/var/log/app/app.log"])
    with override_settings(RUNTIME_WRITABLE_PATHS=["/tmp", "/var/tmp"], RUNTIME_TMPFS_MIB=32):
        pod = manifests.pod_spec(version)
    box = pod["containers"][0]
    assert box["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {mount["mountPath"]: mount["name"] for mount in box["volumeMounts"]}
    assert list(mounts) == ["/tmp", "/var/tmp", "/var/log/app"]
    assert pod["volumes"] == [{"name": mounts[path], "emptyDir": {"medium": "Memory", "sizeLimit": "32Mi"}}
                              for path in mounts]
    label = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # RFC 1123 label
    assert all(label.match(name) for name in mounts.values()), mounts
    assert len(set(mounts.values())) == 3


def test_writable_volume_names_are_stable_labels_that_never_collide():
    assert names.writable_volume("/var/tmp") == names.writable_volume("/var/tmp")
    assert names.writable_volume("/var/tmp") != names.writable_volume("/var-tmp")
    assert names.writable_volume("/var/tmp").startswith("rw-var-tmp-")
    for path in ("/_", "/" + "x" * 300, "/Data/Upper Case/", "/a--b-"):
        name = names.writable_volume(path)
        assert re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name), name


def test_with_the_read_only_root_off_the_pod_has_no_writable_volumes(svc):
    with override_settings(RUNTIME_READ_ONLY_ROOT=False):
        pod = manifests.pod_spec(make_version(svc, log_paths=["/var/log/app/app.log"]))
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is False
    assert "volumes" not in pod and "volumeMounts" not in pod["containers"][0]


def test_env_goes_to_a_secret_in_the_users_order(svc):
    version = make_version(svc, env=[("Z", "last"), ("MESSAGE", "héllo")])
    secret = manifests.env_secret(version)
    assert secret["metadata"]["name"] == f"v{version.pk}-env"
    assert secret["stringData"] == {"Z": "last", "MESSAGE": "héllo"}


def test_the_pull_secret_carries_the_minted_credential(svc):
    secret = manifests.pull_secret(make_version(svc), AUTH, "2026-01-01T00:00:00+00:00")
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(secret["stringData"][".dockerconfigjson"])
    assert config["auths"]["127.0.0.1:5000"]["auth"] == "cHVsbGVyOnNlY3JldA=="  # puller:secret


def test_the_nodes_registry_name_replaces_the_platforms(svc):
    version = make_version(svc)
    with override_settings(REGISTRY_HOST="127.0.0.1:5000", KUBERNETES_REGISTRY_HOST="registry.lan:5000"):
        assert manifests.image(version).startswith("registry.lan:5000/alpha/testservice")


def test_the_tenant_gets_quota_limits_and_a_default_deny_policy(world):
    with override_settings(KUBERNETES_QUOTA_PODS=7, KUBERNETES_ROUTER_CIDRS=["10.88.0.1/32"],
                           KUBERNETES_NODE_CIDRS=["10.244.0.1/32"]):
        objects = by_kind(manifests.tenant_objects(world["alpha"]))
    assert objects["ResourceQuota"]["spec"]["hard"]["pods"] == "7"
    assert objects["LimitRange"]["spec"]["limits"][0]["max"] == {"cpu": "4000m", "memory": "8192Mi"}
    policy = objects["NetworkPolicy"]["spec"]
    assert policy["podSelector"] == {} and policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"from": [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"hosting.platform/role": "platform"}}},
        {"ipBlock": {"cidr": "10.244.0.1/32"}}, {"ipBlock": {"cidr": "10.88.0.1/32"}}]}]


def egress_of(tenant, **overrides) -> list[dict]:
    with override_settings(**overrides):
        return manifests.network_policy(tenant)["spec"]["egress"]


def test_egress_reaches_the_internet_but_never_private_ranges_nor_the_node(world):
    own, dns, internet = egress_of(world["alpha"], TENANT_EGRESS=True,
                                   KUBERNETES_NODE_CIDRS=["192.0.2.2/32"])
    assert own == {"to": [{"podSelector": {}}]}
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    block = internet["to"][0]["ipBlock"]
    assert block["cidr"] == "0.0.0.0/0"
    for blocked in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
                    "127.0.0.0/8", "192.0.2.2/32"):
        assert blocked in block["except"]


def test_without_tenant_egress_only_the_namespace_and_dns_are_reachable(world):
    rules = egress_of(world["alpha"], TENANT_EGRESS=False,
                      KUBERNETES_DNS_CIDRS=["10.255.255.53/32"])
    assert [rule["to"] for rule in rules] == [
        [{"podSelector": {}}],
        [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "10.255.255.53/32"}}]]
    assert all("ports" in rule for rule in rules[1:])  # DNS only on port 53


def test_every_object_lives_in_the_tenants_namespace(svc):
    objects = manifests.version_objects(make_version(svc), AUTH)
    assert [m["kind"] for m in objects] == ["Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy",
                                            "Secret", "Secret", "Deployment"]
    assert {m["metadata"].get("namespace", m["metadata"]["name"]) for m in objects} == {
        f"hosting-t{svc.tenant_id}"}


def test_the_spec_hash_changes_with_the_spec_only(svc):
    version = make_version(svc)
    one, two = manifests.deployment(version), manifests.deployment(version)
    assert apply.spec_hash(one) == apply.spec_hash(two)
    # Rebuilt from the database, writable volumes and all, the hash is the same.
    again = manifests.deployment(type(version).objects.get(pk=version.pk))
    assert apply.spec_hash(again) == apply.spec_hash(one)
    two["spec"]["replicas"] = 3
    assert apply.spec_hash(one) != apply.spec_hash(two)
    assert apply.with_hash(one)["metadata"]["annotations"][names.ANNOTATION_HASH] == apply.spec_hash(one)


@pytest.mark.parametrize("quantity, value", [("250m", 0.25), ("2", 2.0), ("1Gi", 2**30), ("512Mi", 2**29)])
def test_quantities_parse(quantity, value):
    assert resources.parse(quantity) == value


def test_a_bad_quantity_is_named():
    with pytest.raises(ValueError, match="'12xb'"):
        resources.parse("12xb")


def test_render_manifests_prints_yaml_without_secret_values(svc, capsys):
    version = make_version(svc, env=[("TOKEN", "s3cr3t")])
    call_command("render_manifests", str(version.pk))
    out = capsys.readouterr().out
    objects = list(yaml.safe_load_all(out))
    assert objects[-1]["kind"] == "Deployment"
    assert "s3cr3t" not in out and "<hidden>" in out


def test_render_manifests_names_a_missing_version(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No version with id 999"):
        call_command("render_manifests", "999")
