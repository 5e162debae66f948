"""KubernetesRuntime: the Runtime interface on a cluster, one pod per Instance row.

A version is a Deployment whose replica count is the number of instances the platform
asked for. `ensure(spec)` for ordinal n returns the pod bound to n, or binds a free pod
of the version to n (a label, set with a resourceVersion precondition so two workers
never bind one pod twice), or raises replicas by one. It never waits: a pod that is not
running yet (scheduling, image pull) comes back as a "created" instance and the caller
looks again later (the deploy re-enqueues itself, the reconcile pass comes round);
the round that finds the pod failed, or still not running KUBERNETES_START_TIMEOUT_SECONDS
after it was created (or after the replica was asked for, noted on the Deployment),
removes it and raises. `remove(name)` makes that pod the cheapest to delete
(pod-deletion-cost), lowers replicas and deletes it, so the pod the platform chose is
the one that goes.
"""
from __future__ import annotations

import io
import json
import logging
import math
import tarfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream
from urllib3.exceptions import HTTPError

from hosting.runtimes import specs
from hosting.runtimes.base import (
    EngineUnavailable,
    FileChunk,
    InstanceSpec,
    LogLine,
    LogLines,
    Observed,
    ProbeResult,
    Runtime,
    RuntimeFailure,
    Usage,
)
from hosting.runtimes.kubernetes import manifests, metrics, names, status
from hosting.runtimes.kubernetes.apply import Applier
from hosting.runtimes.probe import http_get
from hosting.runtimes.streams import (
    MAX_LOG_FILE_BYTES,
    files_from_tar,
    listening_ports_from_proc,
    parse_time,
)

log = logging.getLogger(__name__)
LOWEST_COST = "-1000000"
CONFLICT_RETRIES = 8
# On the Deployment: when a replica was last asked for that no pod answered yet.
ANNOTATION_ASKED = "hosting.platform/pod-asked-at"


def load_api_client() -> client.ApiClient:
    """KUBECONFIG when set, else the in-cluster service account (the platform in a pod)."""
    path = settings.KUBECONFIG
    try:
        if path:
            return config.new_client_from_config(config_file=path)
        config.load_incluster_config()
        return client.ApiClient()
    except (config.ConfigException, OSError) as exc:
        raise EngineUnavailable(f"No cluster to talk to: KUBECONFIG={path!r} ({exc}).") from exc


class KubernetesRuntime(Runtime):
    def __init__(self, api: client.ApiClient | None = None):
        self._api = api
        self._applier: Applier | None = None
        self._where: dict[str, tuple[str, str]] = {}  # platform name -> (namespace, pod)
        self._pull_refreshed: dict[str, float] = {}
        self.summaries = metrics.SummaryCache(self._summary)

    @property
    def api(self) -> client.ApiClient:
        if self._api is None:
            self._api = load_api_client()
        return self._api

    @property
    def applier(self) -> Applier:
        if self._applier is None:
            self._applier = Applier(self.api)
        return self._applier

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    def request(self, method: str, path: str, body=None, query=None,
                content_type: str = "application/json"):
        try:
            return self.applier.request(method, path, body, query, content_type)
        except HTTPError as exc:
            raise EngineUnavailable(f"The Kubernetes API does not answer: {exc}") from exc

    # Images: the nodes pull when a pod starts; failures come back in the pod status.
    pulls_on_start = True

    def has_image(self, image_ref: str) -> bool:
        return False

    def pull(self, image_ref: str, auth: dict | None = None) -> None:
        return None

    # Instances --------------------------------------------------------------------
    def ensure(self, spec: InstanceSpec) -> Observed:
        """One round, never a wait: the pod bound to the ordinal; else a free pod of the
        version bound to it; else one replica more. A pod not running yet comes back as
        state "created" (no pod at all: id ""); the caller looks again later, and a later
        round fails the start that went wrong or took longer than the start timeout."""
        from hosting.models import Version

        version_id, ordinal = specs.version_id_of(spec.labels), specs.ordinal_of(spec.labels)
        version = Version.objects.select_related("service__tenant").get(pk=version_id)
        ns = names.namespace(version.service.tenant_id)
        live = [p for p in self._pods(ns, names.selector(specs.version_selector(version_id)))
                if status.is_live(p)]
        pod = next((p for p in live if _ordinal(p) == str(ordinal)), None)
        if pod is None:
            self.apply_version(version)
            pod = self._bind_free_pod(ns, live, ordinal, spec.name)
        if pod is None:  # every live pod is bound now (a failed bind: another took it)
            self._ask_for_pod(ns, version, ordinal, bound=len(live))
            return Observed(name=spec.name, id="", state="created", labels=dict(spec.labels),
                            host_ip="")
        return self._checked(ns, pod, version)

    def _bind_free_pod(self, ns: str, live: list[dict], ordinal: int, name: str) -> dict | None:
        """The oldest live pod no ordinal holds, now bound to this one (None: no pod free)."""
        unbound = [p for p in live if _ordinal(p) is None]
        for pod in sorted(unbound, key=lambda p: p["metadata"].get("creationTimestamp", "")):
            bound = self._bind(ns, pod, ordinal, name)
            if bound is not None:
                self._note_ask(ns, _version_id(bound), None)
                return bound
        return None

    def _ask_for_pod(self, ns: str, version, ordinal: int, bound: int) -> None:
        """No pod is free for the ordinal: one replica more than the bound pods (and at
        least one per ordinal up to this one: ordinals are dense, and the pods of those
        asked for a moment ago may not exist yet), with the moment noted on the
        Deployment, so a pod that never appears fails a later round, not a wait. A bind
        clears the note: the timeout runs from the last ask no pod answered."""
        deployment = names.deployment(version.pk)
        path = f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment}"
        scaled = self._scale(ns, deployment, lambda n: max(n, bound + 1, ordinal + 1))
        self._raise_replica_failure(ns, deployment)
        asked = None
        if not scaled:
            notes = self.request("GET", path)["metadata"].get("annotations") or {}
            asked = parse_time(notes.get(ANNOTATION_ASKED))
        if asked is None:
            self._note_ask(ns, version.pk, datetime.now(UTC).isoformat())
        elif _seconds_since(asked) > settings.KUBERNETES_START_TIMEOUT_SECONDS:
            raise RuntimeFailure(f"No pod of {deployment} appeared within "
                                 f"{settings.KUBERNETES_START_TIMEOUT_SECONDS} s.")

    def _note_ask(self, ns: str, version_id: int | None, when: str | None) -> None:
        """Note (or clear, with None) on the Deployment when a pod was last asked for."""
        if version_id is None:
            return
        path = f"/apis/apps/v1/namespaces/{ns}/deployments/{names.deployment(version_id)}"
        try:
            self.request("PATCH", path, {"metadata": {"annotations": {ANNOTATION_ASKED: when}}},
                         content_type="application/merge-patch+json")
        except ApiException as exc:
            if exc.status != 404:  # released meanwhile: nothing to note on
                raise

    def _checked(self, ns: str, pod: dict, version) -> Observed:
        """The bound pod as observed; one that cannot start (its image cannot be pulled,
        no node takes it) or has not started within the start timeout of its creation
        ends the start. Like a container that failed to start, nothing stays: removed by
        pod name, never by the platform's name (a newer pod may carry that name)."""
        seen = self._remember(pod)
        if seen.running:
            return seen
        failure = status.start_failure(pod, manifests.image(version))
        created = status.created_at(pod)
        if failure is None and seen.starting and created is not None \
                and _seconds_since(created) > settings.KUBERNETES_START_TIMEOUT_SECONDS:
            failure = RuntimeFailure(f"The pod {pod['metadata']['name']} did not start within "
                                     f"{settings.KUBERNETES_START_TIMEOUT_SECONDS} s.")
        if failure is not None:
            self._remove_pod(ns, pod["metadata"]["name"])
            raise failure
        return seen

    def apply_version(self, version) -> None:
        """Namespace objects, pull secret, env secret and the Deployment; each written
        only when its spec changed (the applier's hash)."""
        for manifest in manifests.tenant_objects(version.service.tenant):
            self._apply(manifest)
        self._refresh_pull_secret(version)
        self._apply(manifests.env_secret(version))
        self._apply(manifests.deployment(version, replicas=0))

    def _apply(self, manifest: dict) -> None:
        try:
            self.applier.apply(manifest)
        except ApiException as exc:
            raise RuntimeFailure(f"Kubernetes refused the {manifest['kind']} "
                                 f"{manifest['metadata']['name']}: {_reason(exc)}") from exc

    def _refresh_pull_secret(self, version) -> None:
        """The pull credential is short-lived: rewritten when older than half its life."""
        from hosting.registry import client as registry  # the credential the platform mints

        key = f"{names.namespace(version.service.tenant_id)}/{version.service_id}"
        if time.monotonic() - self._pull_refreshed.get(key, -1e9) < settings.KUBERNETES_PULL_REFRESH_SECONDS:
            return
        auth = registry.pull_auth(version.service.repository)
        self._apply(manifests.pull_secret(version, auth, datetime.now(UTC).isoformat()))
        self._pull_refreshed[key] = time.monotonic()

    def _bind(self, ns: str, pod: dict, ordinal: int, name: str) -> dict | None:
        """The pod, now bound to the ordinal; None when it is gone or another ordinal
        took it first. The resourceVersion precondition keeps two binders off one pod;
        a conflict that was only the kubelet updating a pending pod's status is tried
        again on a fresh read (else the caller would ask for one replica too many)."""
        path = f"/api/v1/namespaces/{ns}/pods/{pod['metadata']['name']}"
        for _ in range(CONFLICT_RETRIES):
            patch = {"metadata": {"resourceVersion": pod["metadata"]["resourceVersion"],
                                  "labels": {specs.LABEL_INSTANCE: str(ordinal)},
                                  "annotations": {status.ANNOTATION_NAME: name}}}
            try:
                return self.request("PATCH", path, patch, content_type="application/merge-patch+json")
            except ApiException as exc:
                if exc.status not in (404, 409):
                    raise
            pod = self.applier.get(path)
            if pod is None or not status.is_live(pod) or _ordinal(pod) is not None:
                return None
        return None

    def _scale(self, ns: str, deployment: str, change: Callable[[int], int]) -> bool:
        """Replicas changed by `change` (read, change, write under the resourceVersion);
        whether they changed."""
        path = f"/apis/apps/v1/namespaces/{ns}/deployments/{deployment}/scale"
        for _ in range(CONFLICT_RETRIES):
            try:
                scale = self.request("GET", path)
            except ApiException as exc:
                if exc.status == 404:
                    return False
                raise
            current = (scale.get("spec") or {}).get("replicas", 0)
            wanted = change(current)
            if wanted == current:
                return False
            scale["spec"]["replicas"] = wanted
            try:
                self.request("PUT", path, scale)  # resourceVersion inside: 409 if raced
                return True
            except ApiException as exc:
                if exc.status != 409:
                    raise
        raise RuntimeFailure(f"Could not change the replicas of {deployment}: too many conflicts.")

    def _replica_failure(self, ns: str, deployment: str) -> str | None:
        selector = names.selector(specs.version_selector(_version_of(deployment)))
        found = self.request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets",
                             query=[("labelSelector", selector)])
        for item in found.get("items") or []:
            failure = status.replica_failure(item)
            if failure:
                return failure
        return None

    def _raise_replica_failure(self, ns: str, deployment: str) -> None:
        failure = self._replica_failure(ns, deployment)
        if failure:
            raise RuntimeFailure(failure)

    def observe(self, labels: dict[str, str]) -> list[Observed]:
        selector = names.selector(labels) + f",{specs.LABEL_INSTANCE}"
        pods = self._pods(None, selector)
        return [self._remember(p) for p in pods if status.is_reported(p)]

    def get(self, name: str) -> Observed | None:
        pod = self._pod(name)
        return status.observed(pod) if pod is not None and status.is_reported(pod) else None

    def remove(self, name: str) -> None:
        pod = self._pod(name)
        if pod is not None:
            self._delete_pod(pod)
        else:
            self._take_back_ask(name)
        self._where.pop(name, None)

    def _take_back_ask(self, name: str) -> None:
        """No pod carries the name: it may have asked for a replica that no pod answered
        yet (removed while starting). Take one replica back, or the Deployment keeps a pod
        nobody binds; never below the bound pods (an ask taken back by mistake is asked
        again by its ordinal's next ensure)."""
        ids = specs.ids_of_name(name)
        if ids is None:
            return
        tenant_id, version_id, _ordinal = ids
        ns = names.namespace(tenant_id)
        selector = names.selector(specs.version_selector(version_id)) + f",{specs.LABEL_INSTANCE}"
        bound = sum(1 for p in self._pods(ns, selector) if status.is_live(p))
        self._scale(ns, names.deployment(version_id), lambda n: max(bound, n - 1))

    def _remove_pod(self, ns: str, pod_name: str) -> None:
        try:
            pod = self.request("GET", f"/api/v1/namespaces/{ns}/pods/{pod_name}")
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        self._delete_pod(pod)

    def _delete_pod(self, pod: dict) -> None:
        """The pod goes and the replica count follows, so the controller does not start
        a replacement: the cheapest to delete, one replica less, then deleted."""
        ns, pod_name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        path = f"/api/v1/namespaces/{ns}/pods/{pod_name}"
        version_id = _version_id(pod)
        if status.is_live(pod):
            try:
                self.request("PATCH", path, {"metadata": {"annotations": {names.DELETION_COST: LOWEST_COST}}},
                             content_type="application/merge-patch+json")
            except ApiException as exc:
                if exc.status != 404:
                    raise
            if version_id is not None:
                self._scale(ns, names.deployment(version_id), lambda n: max(n - 1, 0))
        self.applier.delete(path, grace=settings.RUNTIME_STOP_TIMEOUT_SECONDS)

    def remove_tenant(self, tenant_id: int) -> None:
        """The namespace holds everything of the tenant's; deleting it removes the rest."""
        self.applier.delete(f"/api/v1/namespaces/{names.namespace(tenant_id)}")

    def release(self, version_id: int) -> None:
        selector = names.selector(specs.version_selector(version_id))
        found = self.request("GET", "/apis/apps/v1/deployments", query=[("labelSelector", selector)])
        for item in found.get("items") or []:
            ns = item["metadata"]["namespace"]
            self.applier.delete(f"/apis/apps/v1/namespaces/{ns}/deployments/{item['metadata']['name']}")
            self.applier.delete(f"/api/v1/namespaces/{ns}/secrets/{names.env_secret(version_id)}")

    # Observations -----------------------------------------------------------------
    def logs(self, name: str, since: datetime | None = None, tail: int | None = None,
             max_bytes: int | None = None) -> list[LogLine]:
        pod = self._pod(name)
        if pod is None:
            return []
        cstatus = status.container_status(pod)
        limit = min(max_bytes or settings.KUBERNETES_LOG_LIMIT_BYTES, settings.KUBERNETES_LOG_LIMIT_BYTES)
        query: dict = {"container": names.CONTAINER, "timestamps": True, "limit_bytes": limit,
                       # A crashed container's lines are in the previous run's log.
                       "previous": bool(cstatus.get("restartCount")) and not
                       (cstatus.get("state") or {}).get("running")}
        if tail is not None:
            query["tail_lines"] = tail
        if since is not None:
            query["since_seconds"] = max(1, math.ceil((datetime.now(UTC) - since).total_seconds()) + 1)
        try:
            text = self.core.read_namespaced_pod_log(pod["metadata"]["name"], pod["metadata"]["namespace"],
                                                     **query)
        except ApiException:
            return []  # not started yet, or no previous run
        text = text or ""
        cut = len(text.encode()) >= limit
        if cut:  # the API server stopped at limit_bytes: drop the partial last line
            text = text[: text.rfind("\n") + 1]
        lines = LogLines(line for line in parse_log(text) if since is None or line.timestamp >= since)
        lines.truncated = cut
        return lines

    def read_files(self, name: str, path: str, offsets: dict[str, int] | None = None,
                   max_bytes: int | None = None) -> dict[str, FileChunk]:
        """A tar of `path` through exec (the image needs `tar`, or busybox at /bin)."""
        pod = self._pod(name)
        if pod is None or status.observed(pod).state != "running":
            return {}
        for command in (["tar", "cf", "-", path], ["/bin/busybox", "tar", "cf", "-", path]):
            data = self._exec(pod, command)
            if data:
                return untar(data, offsets or {}, max_bytes or MAX_LOG_FILE_BYTES)
        return {}

    def stats(self, name: str) -> Usage | None:
        pod = self._pod(name)
        if pod is None or status.observed(pod).state != "running":
            return None
        node = (pod.get("spec") or {}).get("nodeName")
        try:
            return self.summaries.usage(node, pod["metadata"]["namespace"], pod["metadata"]["name"])
        except (ApiException, HTTPError) as exc:
            log.warning("kubelet summary of %s failed: %s", node, exc)
            return None

    def probe(self, observed: Observed, port: int, timeout: float) -> ProbeResult:
        if not observed.host_ip:
            return ProbeResult(False, "error", detail="The pod has no IP address yet.")
        return http_get(observed.host_ip, port, timeout)

    def listening_ports(self, name: str) -> list[int] | None:
        pod = self._pod(name)
        if pod is None:
            return None
        for command in (["cat", "/proc/net/tcp", "/proc/net/tcp6"],
                        ["/bin/busybox", "cat", "/proc/net/tcp", "/proc/net/tcp6"]):
            data = self._exec(pod, command)
            if data:
                return listening_ports_from_proc(data.decode(errors="replace"))
        return None

    # Helpers ----------------------------------------------------------------------
    def _pods(self, ns: str | None, selector: str) -> list[dict]:
        path = f"/api/v1/namespaces/{ns}/pods" if ns else "/api/v1/pods"
        return self.request("GET", path, query=[("labelSelector", selector)]).get("items") or []

    def _pod(self, name: str) -> dict | None:
        where = self._where.get(name)
        if where is not None:
            try:
                pod = self.request("GET", f"/api/v1/namespaces/{where[0]}/pods/{where[1]}")
                if (pod["metadata"].get("annotations") or {}).get(status.ANNOTATION_NAME) == name \
                        and self._ours(pod):
                    return pod
            except ApiException as exc:
                if exc.status != 404:
                    raise
            self._where.pop(name, None)
        selector = names.selector(specs.namespace_selector()) + f",{specs.LABEL_INSTANCE}"
        for pod in self._pods(None, selector):
            if (pod["metadata"].get("annotations") or {}).get(status.ANNOTATION_NAME) == name:
                self._remember(pod)
                return pod
        return None

    @staticmethod
    def _ours(pod: dict) -> bool:
        """A remembered pod still belongs to this platform's namespace: names come from
        ids, and another platform (or an earlier one) on the cluster may use the same."""
        labels = pod["metadata"].get("labels") or {}
        return all(labels.get(k) == v for k, v in specs.namespace_selector().items())

    def _remember(self, pod_or_observed) -> Observed:
        pod = pod_or_observed
        seen = pod if isinstance(pod, Observed) else status.observed(pod)
        if not isinstance(pod, Observed):
            self._where[seen.name] = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        return seen

    def _exec(self, pod: dict, command: list[str]) -> bytes:
        try:
            ws = stream(self.core.connect_get_namespaced_pod_exec, pod["metadata"]["name"],
                        pod["metadata"]["namespace"], container=names.CONTAINER, command=command,
                        stderr=True, stdin=False, stdout=True, tty=False,
                        _preload_content=False, binary=True)
        except (ApiException, HTTPError, Exception) as exc:  # the websocket raises its own
            log.debug("exec %s failed: %s", command, exc)
            return b""
        out = bytearray()
        try:
            while ws.is_open() and len(out) <= MAX_LOG_FILE_BYTES:
                ws.update(timeout=5)
                if ws.peek_stdout():
                    out += ws.read_stdout()
            out += ws.read_stdout() or b""
        finally:
            ws.close()
        return bytes(out) if ws.returncode in (0, None) else b""

    def _summary(self, node: str) -> dict:
        return self.request("GET", f"/api/v1/nodes/{node}/proxy/stats/summary")


def parse_log(text: str) -> list[LogLine]:
    lines = []
    for row in text.splitlines():
        stamp, _, rest = row.partition(" ")
        when = parse_time(stamp)
        if when is None:
            when, rest = datetime.now(UTC), row
        lines.append(LogLine(when, "stdout", rest))
    return lines


def untar(data: bytes, offsets: dict[str, int], cap: int) -> dict[str, FileChunk]:
    """Files of a `tar cf - /abs/path` stream by absolute path (tar drops the leading /)."""
    try:
        return files_from_tar(io.BytesIO(data), "/", offsets, cap, settings.LOG_MAX_FILE_SCAN_BYTES)
    except tarfile.TarError as exc:
        log.warning("reading a log archive failed: %s", exc)
        return {}


def _ordinal(pod: dict) -> str | None:
    return (pod["metadata"].get("labels") or {}).get(specs.LABEL_INSTANCE)


def _version_id(pod: dict) -> int | None:
    return specs.version_id_of(pod["metadata"].get("labels") or {})


def _seconds_since(moment: datetime) -> float:
    return (datetime.now(UTC) - moment).total_seconds()


def _version_of(deployment: str) -> int:
    return int(deployment.lstrip("v"))


def _reason(exc: ApiException) -> str:
    try:
        return json.loads(exc.body).get("message") or str(exc.reason)
    except (TypeError, ValueError):
        return str(exc.reason)
