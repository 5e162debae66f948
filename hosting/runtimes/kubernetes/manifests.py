"""Pure builders: a Version (and its tenant) to the Kubernetes objects that run it.

No I/O, like Knative's `resources/` package: the runtime applies what these return,
`manage.py render_manifests` prints them, and the table tests compare them.
"""
from __future__ import annotations

import base64
import json

from django.conf import settings

from hosting import catalogue
from hosting.domain import hardening
from hosting.models import Tenant, Version
from hosting.runtimes import specs
from hosting.runtimes.firewall import BLOCKED_RANGES
from hosting.runtimes.kubernetes import names, resources

# The platform's own namespace carries this label (docker/kubernetes/): its pods (the
# in-cluster router and activator) may connect to every tenant's pods.
PLATFORM_ROLE_LABEL = "hosting.platform/role"
PLATFORM_ROLE = "platform"


def tenant_labels(tenant: Tenant) -> dict[str, str]:
    return {**specs.namespace_selector(), specs.LABEL_TENANT: tenant.slug}


def version_labels(version: Version) -> dict[str, str]:
    """The pod template's labels: every instance label but the ordinal, which the runtime
    puts on a pod when it binds the pod to an Instance row."""
    labels = specs.labels_for(version, 0)
    labels.pop(specs.LABEL_INSTANCE)
    return labels


def namespace(tenant: Tenant) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": names.namespace(tenant.pk), "labels": tenant_labels(tenant)}}


def resource_quota(tenant: Tenant) -> dict:
    hard = {"pods": str(settings.KUBERNETES_QUOTA_PODS),
            "limits.cpu": settings.KUBERNETES_QUOTA_CPU,
            "limits.memory": settings.KUBERNETES_QUOTA_MEMORY}
    return {"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": _meta("tenant-quota", tenant),
            "spec": {"hard": hard}}


def limit_range(tenant: Tenant) -> dict:
    """Defaults from the catalogue's default spec, maximum from its largest one, so an
    object created in the namespace by hand cannot exceed what the platform sells."""
    default = catalogue.get_spec(catalogue.DEFAULT_SPEC)
    largest = max(catalogue.SPECS, key=lambda spec: spec.cpu_millis)
    overcommit = settings.KUBERNETES_OVERCOMMIT
    limit = {
        "type": "Container",
        "default": resources.limits_for(default.cpu_millis, default.memory_mib),
        "defaultRequest": resources.requests_for(default.cpu_millis, default.memory_mib, overcommit),
        "max": resources.limits_for(largest.cpu_millis, largest.memory_mib),
    }
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta("tenant-limits", tenant),
            "spec": {"limits": [limit]}}


def network_policy(tenant: Tenant) -> dict:
    """Default deny, enforced by the cluster's policy engine (README "Security model").

    In: the tenant's own pods, the nodes (the router on the host, the kubelet's
    probes), KUBERNETES_ROUTER_CIDRS and pods of namespaces labelled as the
    platform's (its in-cluster router). Out: the tenant's own pods, DNS, and the
    internet unless TENANT_EGRESS is off; never the nodes, private, link-local
    (metadata) or other reserved ranges, so no platform service nor another tenant."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": _meta("default-deny", tenant),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                     "ingress": [{"from": _ingress_peers()}], "egress": _egress_rules()}}


def _ingress_peers() -> list[dict]:
    cidrs = [*settings.KUBERNETES_NODE_CIDRS, *settings.KUBERNETES_ROUTER_CIDRS]
    platform = {"namespaceSelector": {"matchLabels": {PLATFORM_ROLE_LABEL: PLATFORM_ROLE}}}
    return [{"podSelector": {}}, platform,
            *({"ipBlock": {"cidr": cidr}} for cidr in dict.fromkeys(cidrs))]


def _egress_rules() -> list[dict]:
    dns_peers = [{"namespaceSelector": {}},
                 *({"ipBlock": {"cidr": cidr}} for cidr in settings.KUBERNETES_DNS_CIDRS)]
    dns = {"to": dns_peers, "ports": [{"protocol": "UDP", "port": 53},
                                      {"protocol": "TCP", "port": 53}]}
    rules = [{"to": [{"podSelector": {}}]}, dns]
    if settings.TENANT_EGRESS:
        blocked = list(dict.fromkeys([*BLOCKED_RANGES, *settings.KUBERNETES_NODE_CIDRS]))
        rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": blocked}}]})
    return rules


def pull_secret(version: Version, auth: dict, issued_at: str = "") -> dict:
    """dockerconfigjson for the platform's registry with the credential it minted for
    this service's repository (the same one the local engine pulls with)."""
    registry = auth.get("serveraddress") or registry_host()
    basic = base64.b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
    config = {"auths": {registry: {"username": auth["username"], "password": auth["password"],
                                   "auth": basic}}}
    meta = _meta(names.pull_secret(version.service_id), version.service.tenant)
    meta["annotations"] = {names.ANNOTATION_ISSUED: issued_at}
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": meta, "stringData": {".dockerconfigjson": json.dumps(config)}}


def env_secret(version: Version) -> dict:
    """The version's variables live in a Secret (write-only for tenants), not in the
    Deployment, so reading the Deployment never shows them."""
    meta = _meta(names.env_secret(version.pk), version.service.tenant)
    meta["labels"] = version_labels(version)
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta,
            "stringData": {str(k): str(v) for k, v in version.env}}


def deployment(version: Version, replicas: int = 0) -> dict:
    labels = version_labels(version)
    meta = _meta(names.deployment(version.pk), version.service.tenant)
    meta["labels"] = labels
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": specs.version_selector(version.pk)},
            # Scale-down picks the pod the platform names (pod-deletion-cost); a rollout
            # never happens because a version's spec never changes.
            "strategy": {"type": "Recreate"},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec(version)},
        },
    }


def pod_spec(version: Version) -> dict:
    pod = {
        "containers": [container(version)],
        "imagePullSecrets": [{"name": names.pull_secret(version.service_id)}],
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": settings.RUNTIME_STOP_TIMEOUT_SECONDS,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    if settings.KUBERNETES_USER_NAMESPACES:
        # A user namespace per pod: uid 0 inside is an unprivileged uid on the node.
        pod["hostUsers"] = False
    if volumes := writable_volumes(version):
        pod["volumes"] = volumes
    return pod


def writable_volumes(version: Version) -> list[dict]:
    """A memory-backed emptyDir per writable path, capped like the local backend's tmpfs
    (RUNTIME_TMPFS_MIB, counted in the container's memory)."""
    size = f"{hardening.tmpfs_mib()}Mi"
    return [{"name": names.writable_volume(path), "emptyDir": {"medium": "Memory", "sizeLimit": size}}
            for path in hardening.writable_paths(version.log_paths)]


def writable_mounts(version: Version) -> list[dict]:
    return [{"name": names.writable_volume(path), "mountPath": path}
            for path in hardening.writable_paths(version.log_paths)]


def container(version: Version) -> dict:
    port = version.port
    box = {
        "name": names.CONTAINER,
        "image": image(version),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": port, "protocol": "TCP"}],
        "envFrom": [{"secretRef": {"name": names.env_secret(version.pk)}}],
        "resources": resources.with_disk({
            "limits": resources.limits_for(version.cpu_millis, version.memory_mib),
            "requests": resources.requests_for(version.cpu_millis, version.memory_mib,
                                               settings.KUBERNETES_OVERCOMMIT),
        }, settings.KUBERNETES_DISK_LIMIT_MIB, settings.KUBERNETES_OVERCOMMIT),
        # Ready as soon as the port accepts (the platform's own GET / decides health,
        # and any non-5xx answer counts there, which an httpGet probe would not match).
        "readinessProbe": {"tcpSocket": {"port": port},
                           "initialDelaySeconds": version.initial_delay_seconds,
                           "periodSeconds": 2, "failureThreshold": 3},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            # The same capabilities as on the local backend (hosting/domain/hardening.py).
            "capabilities": {"drop": ["ALL"],
                             "add": list(hardening.capabilities_for(port))},
            # As on the local backend: the image cannot be written, so disk use is
            # bounded by the writable paths' memory-backed volumes (README "Security model").
            "readOnlyRootFilesystem": hardening.read_only_root(),
        },
    }
    if mounts := writable_mounts(version):
        box["volumeMounts"] = mounts
    return box


def image(version: Version) -> str:
    """The pinned reference, with the registry as the nodes reach it."""
    ref = version.image_ref
    node_host = registry_host()
    if node_host != settings.REGISTRY_HOST and ref.startswith(settings.REGISTRY_HOST + "/"):
        ref = node_host + ref[len(settings.REGISTRY_HOST):]
    return ref


def registry_host() -> str:
    return settings.KUBERNETES_REGISTRY_HOST or settings.REGISTRY_HOST


def tenant_objects(tenant: Tenant) -> list[dict]:
    return [namespace(tenant), resource_quota(tenant), limit_range(tenant), network_policy(tenant)]


def version_objects(version: Version, auth: dict, replicas: int = 0) -> list[dict]:
    """Everything for one version, in apply order (the Deployment last)."""
    return [*tenant_objects(version.service.tenant), pull_secret(version, auth),
            env_secret(version), deployment(version, replicas)]


def _meta(name: str, tenant: Tenant) -> dict:
    return {"name": name, "namespace": names.namespace(tenant.pk), "labels": tenant_labels(tenant)}
