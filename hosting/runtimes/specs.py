"""Pure functions from a Version to what the engine should run (no I/O, easy to diff).

Like Knative's `resources/` builders: the orchestration layer compares these specs with
what the engine reports, and the Kubernetes backend turns the same spec into a pod.
"""
from __future__ import annotations

import re

from django.conf import settings

from hosting import sealed
from hosting.domain import hardening
from hosting.models import Instance, Version
from hosting.runtimes.base import InstanceSpec

LABEL_NAMESPACE = "hosting.namespace"
LABEL_TENANT = "hosting.tenant"
LABEL_SERVICE = "hosting.service"
LABEL_VERSION = "hosting.version"
LABEL_VERSION_NAME = "hosting.version-name"
LABEL_INSTANCE = "hosting.instance"
LABEL_TENANT_ID = "hosting.tenant-id"
_NAME_IDS = re.compile(r"(?:^|-)h-t(\d+)-v(\d+)-(\d+)$")  # Instance.name_for, at the end


def namespace() -> str:
    return settings.RUNTIME_NAMESPACE


def container_name(instance_name: str) -> str:
    """The engine's name: Instance.name, prefixed outside the default namespace."""
    ns = namespace()
    return instance_name if ns == "hosting" else f"{ns}-{instance_name}"


def ids_of_name(name: str) -> tuple[int, int, int] | None:
    """(tenant id, version id, ordinal) of an engine name container_name() made."""
    match = _NAME_IDS.search(name)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def network_name(tenant_id: int) -> str:
    """The tenant's own network, named from its id: two tenants can never share one."""
    return f"{namespace()}-t{tenant_id}"


def network_labels(tenant_id: int) -> dict[str, str]:
    return {**namespace_selector(), LABEL_TENANT_ID: str(tenant_id)}


def namespace_selector() -> dict[str, str]:
    """Every instance this platform (this namespace) runs."""
    return {LABEL_NAMESPACE: namespace()}


def version_selector(version_id: int) -> dict[str, str]:
    return {**namespace_selector(), LABEL_VERSION: str(version_id)}


def labels_for(version: Version, ordinal: int) -> dict[str, str]:
    return {
        **version_selector(version.pk),
        LABEL_TENANT: version.service.tenant.slug,
        LABEL_TENANT_ID: str(version.tenant_id),
        LABEL_SERVICE: str(version.service_id),
        LABEL_VERSION_NAME: version.name,
        LABEL_INSTANCE: str(ordinal),
    }


def nano_cpus(cpu_millis: int) -> int:
    return cpu_millis * 1_000_000


def mem_bytes(memory_mib: int) -> int:
    return memory_mib * 1024 * 1024


def environment(version: Version) -> dict[str, str]:
    """Plain variables and the unsealed secrets: the only place a secret is in clear."""
    env = {str(k): str(v) for k, v in version.env}
    env.update({str(name): sealed.unseal(token) for name, token in version.secret_env})
    return env


def instance_spec(version: Version, ordinal: int) -> InstanceSpec:
    name = Instance.name_for(version, ordinal)
    return InstanceSpec(
        name=container_name(name),
        instance_name=name,
        image=version.image_ref,
        labels=labels_for(version, ordinal),
        env=environment(version),
        port=version.port,
        nano_cpus=nano_cpus(version.cpu_millis),
        mem_limit=mem_bytes(version.memory_mib),
        tenant_id=version.tenant_id,
        network=network_name(version.tenant_id) if settings.TENANT_NETWORKS else None,
        cap_add=hardening.capabilities_for(version.port),
        pids_limit=hardening.pids_limit(),
        userns=hardening.userns_mode(),
        read_only=hardening.read_only_root(),
        tmpfs=hardening.writable_paths(version.log_paths),
        tmpfs_mib=hardening.tmpfs_mib(),
        log_max_mib=hardening.log_max_mib(),
    )


def version_id_of(labels: dict[str, str]) -> int | None:
    try:
        return int(labels[LABEL_VERSION])
    except (KeyError, ValueError):
        return None


def ordinal_of(labels: dict[str, str]) -> int | None:
    try:
        return int(labels[LABEL_INSTANCE])
    except (KeyError, ValueError):
        return None
