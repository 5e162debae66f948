"""Idempotent writes: create, or replace when the spec hash changed, else nothing.

Every object carries the hash of the manifest that made it (names.ANNOTATION_HASH); the
applier remembers the hashes it wrote in this process, so an unchanged spec costs no
request at all, and after a restart one GET. A Deployment keeps its live replica count
on replace: replicas belong to the scale subresource (the autoscaler), not the spec.
"""
from __future__ import annotations

import copy
import hashlib
import json

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from hosting.runtimes.kubernetes import names

# kind -> (API group path, plural, namespaced)
KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Secret": ("/api/v1", "secrets", True),
    "ResourceQuota": ("/api/v1", "resourcequotas", True),
    "LimitRange": ("/api/v1", "limitranges", True),
    "Pod": ("/api/v1", "pods", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
}


OBJECT_RESPONSES = {code: "object" for code in (200, 201, 202)}


def spec_hash(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "metadata"}
    meta = {k: v for k, v in manifest["metadata"].items() if k != "annotations"}
    text = json.dumps({"meta": meta, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def collection_path(manifest: dict) -> str:
    group, plural, namespaced = KINDS[manifest["kind"]]
    if namespaced:
        return f"{group}/namespaces/{manifest['metadata']['namespace']}/{plural}"
    return f"{group}/{plural}"


def object_path(manifest: dict) -> str:
    return f"{collection_path(manifest)}/{manifest['metadata']['name']}"


def with_hash(manifest: dict) -> dict:
    out = copy.deepcopy(manifest)
    annotations = out["metadata"].setdefault("annotations", {})
    annotations[names.ANNOTATION_HASH] = spec_hash(manifest)
    return out


class Applier:
    def __init__(self, api: ApiClient):
        self.api = api
        self._written: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None,
                query: list | None = None, content_type: str = "application/json"):
        return self.api.call_api(
            path, method, query_params=query or [], body=body,
            header_params={"Content-Type": content_type, "Accept": "application/json"},
            response_types_map=OBJECT_RESPONSES, auth_settings=["BearerToken"],
            _return_http_data_only=True, _preload_content=True)

    def get(self, path: str) -> dict | None:
        try:
            return self.request("GET", path)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def apply(self, manifest: dict, dry_run: bool = False) -> str:
        """'unchanged', 'created' or 'replaced' (what happened, for events and tests)."""
        desired = with_hash(manifest)
        path = object_path(manifest)
        digest = desired["metadata"]["annotations"][names.ANNOTATION_HASH]
        if not dry_run and self._written.get(path) == digest:
            return "unchanged"
        query = [("dryRun", "All")] if dry_run else []
        current = self.get(path)
        if current is None:
            try:
                self.request("POST", collection_path(manifest), desired, query)
                outcome = "created"
            except ApiException as exc:
                if exc.status != 409:  # 409: a concurrent run created it: compare next time
                    raise
                outcome = "unchanged"
        elif (current["metadata"].get("annotations") or {}).get(names.ANNOTATION_HASH) == digest:
            outcome = "unchanged"
        else:
            self.request("PUT", path, _for_replace(desired, current), query)
            outcome = "replaced"
        if not dry_run:
            self._written[path] = digest
        return outcome

    def delete(self, manifest_or_path: dict | str, grace: int | None = None) -> bool:
        path = manifest_or_path if isinstance(manifest_or_path, str) else object_path(manifest_or_path)
        query = [("gracePeriodSeconds", grace)] if grace is not None else []
        self._written.pop(path, None)
        try:
            self.request("DELETE", path, None, query)
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    def forget(self, path: str) -> None:
        self._written.pop(path, None)


def _for_replace(desired: dict, current: dict) -> dict:
    body = copy.deepcopy(desired)
    body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    if desired["kind"] == "Deployment":
        body["spec"]["replicas"] = (current.get("spec") or {}).get("replicas", 0)
    return body
