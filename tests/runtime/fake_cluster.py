"""API servers reduced to dicts, for the Kubernetes backend's unit tests (no cluster)."""
import copy
import itertools
from datetime import UTC, datetime, timedelta

from kubernetes.client.exceptions import ApiException

from hosting.runtimes.kubernetes import apply


class FakeApi(apply.Applier):
    """An API server reduced to a dict of objects by path, recording every write."""

    def __init__(self):
        super().__init__(api=None)
        self.objects: dict[str, dict] = {}
        self.writes: list[tuple[str, str]] = []

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        if method == "GET":
            if path not in self.objects:
                raise ApiException(status=404)
            return self.objects[path]
        self.writes.append((method, path))
        if method == "POST":
            path = f"{path}/{body['metadata']['name']}"
        if method == "DELETE":
            if path not in self.objects:
                raise ApiException(status=404)
            return self.objects.pop(path)
        stored = {**body, "metadata": {**body["metadata"], "resourceVersion": str(len(self.writes))}}
        self.objects[path] = stored
        return stored


class FakeCluster(FakeApi):
    """Enough of an API server for KubernetesRuntime.ensure: pod listings by label
    selector, merge patches (with the resourceVersion precondition), a Deployment's
    scale subresource and its ReplicaSets. Pods appear only when a test adds them (no
    controller runs), which is how a pod that is slow to come is simulated."""

    def __init__(self):
        super().__init__()
        self.replica_sets: list[dict] = []
        self.status_updates = 0  # pod patches that find the kubelet updated the pod first
        self._uids = itertools.count(1)

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        if path.endswith("/scale"):
            return self._scale(method, path.removesuffix("/scale"), body)
        if method == "GET" and path.endswith("/replicasets"):
            return {"items": self.replica_sets}
        if method == "GET" and path.endswith("/pods"):
            return {"metadata": {}, "items": self.pods(dict(query or []).get("labelSelector", ""))}
        if method == "PATCH":
            return self._patch(path, body)
        return super().request(method, path, body, query, content_type)

    def pods(self, selector: str = "") -> list[dict]:
        return [copy.deepcopy(obj) for obj in self.objects.values()
                if obj.get("kind") == "Pod" and _selected(obj, selector)]

    def add_pod(self, namespace: str, labels: dict, age_seconds: float = 0,
                status: dict | None = None) -> dict:
        """A pod the ReplicaSet made `age_seconds` ago (Pending unless `status` says)."""
        uid = next(self._uids)
        created = datetime.now(UTC) - timedelta(seconds=age_seconds)
        pod = {"kind": "Pod", "metadata": {
            "name": f"pod-{uid}", "namespace": namespace, "uid": f"uid-{uid}",
            "labels": dict(labels), "resourceVersion": "1",
            "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]},
            "status": status or {"phase": "Pending"}}
        self.objects[f"/api/v1/namespaces/{namespace}/pods/pod-{uid}"] = pod
        return pod

    def _scale(self, method, deployment_path, body):
        deployment = self.objects.get(deployment_path)
        if deployment is None:
            raise ApiException(status=404)
        if method == "PUT":
            deployment["spec"]["replicas"] = body["spec"]["replicas"]
            self.writes.append(("PUT", f"{deployment_path}/scale"))
        return {"spec": {"replicas": deployment["spec"].get("replicas", 0)}}

    def _patch(self, path, body):
        current = self.objects.get(path)
        if current is None:
            raise ApiException(status=404)
        if current.get("kind") == "Pod" and self.status_updates:
            self.status_updates -= 1
            current["metadata"]["resourceVersion"] += "-kubelet"
        wanted = body["metadata"].get("resourceVersion")
        if wanted is not None and wanted != current["metadata"].get("resourceVersion"):
            raise ApiException(status=409)
        self.writes.append(("PATCH", path))
        _merge(current, body)
        current["metadata"]["resourceVersion"] = str(len(self.writes))
        return current


def _merge(target: dict, patch: dict) -> None:
    """JSON merge patch (RFC 7386): null removes a key."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _selected(obj: dict, selector: str) -> bool:
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if key not in labels or ("=" in term and labels[key] != value):
            return False
    return True
