"""The applier writes only what changed, and never resets a Deployment's replicas."""
import pytest

from hosting.runtimes.kubernetes import apply, manifests, names
from tests.base import make_version
from tests.runtime.fake_cluster import FakeApi


@pytest.fixture
def api():
    return FakeApi()


def test_an_unchanged_spec_is_written_once(api, svc):
    deployment = manifests.deployment(make_version(svc), replicas=1)
    assert api.apply(deployment) == "created"
    assert api.apply(deployment) == "unchanged"
    api.forget(apply.object_path(deployment))  # a new process: one GET, no write
    assert api.apply(deployment) == "unchanged"
    assert len(api.writes) == 1


def test_a_changed_spec_replaces_but_keeps_the_live_replicas(api, svc):
    version = make_version(svc)
    deployment = manifests.deployment(version, replicas=0)
    api.apply(deployment)
    path = apply.object_path(deployment)
    api.objects[path]["spec"]["replicas"] = 3  # the autoscaler, through the scale subresource
    changed = manifests.deployment(version, replicas=0)
    changed["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30
    assert api.apply(changed) == "replaced"
    stored = api.objects[path]
    assert stored["spec"]["replicas"] == 3
    assert stored["metadata"]["annotations"][names.ANNOTATION_HASH] == apply.spec_hash(changed)


def test_paths_follow_the_kind(svc):
    version = make_version(svc)
    ns = names.namespace(svc.tenant_id)
    assert apply.object_path(manifests.deployment(version)) == \
        f"/apis/apps/v1/namespaces/{ns}/deployments/v{version.pk}"
    assert apply.object_path(manifests.namespace(svc.tenant)) == f"/api/v1/namespaces/{ns}"
    assert apply.object_path(manifests.network_policy(svc.tenant)) == \
        f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/default-deny"


def test_deleting_twice_is_fine_and_forgets_the_hash(api, svc):
    secret = manifests.env_secret(make_version(svc))
    api.apply(secret)
    assert api.delete(secret) is True and api.delete(secret) is False
    assert api.apply(secret) == "created"  # not "unchanged" from the remembered hash
