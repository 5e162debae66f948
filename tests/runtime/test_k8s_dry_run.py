"""Every manifest the builders make passes the cluster's own validation (server-side
dry-run against its OpenAPI schema and admission), for each resource spec."""
import uuid

import pytest

from hosting import catalogue
from hosting.runtimes.kubernetes import manifests
from hosting.runtimes.kubernetes.runtime import KubernetesRuntime
from tests.base import make_version

pytestmark = [pytest.mark.integration, pytest.mark.cluster]
AUTH = {"username": "puller", "password": "secret", "serveraddress": "127.0.0.1:5000"}


@pytest.fixture
def runtime(k8s_cluster, settings):
    prefix = f"td{uuid.uuid4().hex[:8]}"
    settings.KUBECONFIG, settings.RUNTIME_NAMESPACE = str(k8s_cluster.kubeconfig), prefix
    yield KubernetesRuntime()
    k8s_cluster.kubectl("delete", "namespace", "-l", f"hosting.namespace={prefix}",
                        "--wait=false", check=False)


def test_every_manifest_passes_a_server_side_dry_run(runtime, svc):
    objects = manifests.version_objects(make_version(svc, env=[("A", "1")]), AUTH, replicas=2)
    assert runtime.applier.apply(objects[0]) == "created"  # the namespace, for real
    for manifest in objects[1:]:
        assert runtime.applier.apply(manifest, dry_run=True) == "created", manifest["kind"]
    for spec in catalogue.SPECS:
        version = make_version(svc, resource_spec=spec.key, port=80, initial_delay_seconds=600)
        assert runtime.applier.apply(manifests.deployment(version), dry_run=True) == "created"
