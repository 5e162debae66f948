"""Per-tenant quotas: services, live versions, instances, CPU and memory.

Engine-neutral: the domain enforces them at service and version create, scale-up, wake
and recharge (every backend), and a backend may mirror them into the engine (Kubernetes:
a ResourceQuota from `limits_for`). Defaults come from settings.QUOTAS; an operator
overrides any of them per tenant in the admin (an empty field means the default).

What a version holds against the quota is what it may run without asking again: its
desired instances, and never less than its minimum (a suspended or sleeping version
comes back to that), each instance with its resource spec's CPU and memory.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hosting.models import Service, Tenant, Version

NAMES = ("services", "versions", "instances", "cpu_millis", "memory_mib")


@dataclass(frozen=True)
class Amounts:
    services: int = 0
    versions: int = 0
    instances: int = 0
    cpu_millis: int = 0
    memory_mib: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


class QuotaExceeded(ValidationError):
    """The tenant's quota would be exceeded (the API answers 409 naming the quota)."""

    def __init__(self, tenant: Tenant, quota: str, limit: int, wanted: int):
        self.quota, self.limit, self.wanted = quota, limit, wanted
        super().__init__(
            _("Quota exceeded: tenant %(tenant)s may use at most %(limit)d %(what)s "
              "(quota %(quota)s); this would make %(wanted)d. Delete or shrink something, or "
              "ask an operator to raise the quota.")
            % {"tenant": tenant.slug, "limit": limit, "what": describe(quota), "quota": quota,
               "wanted": wanted},
            code="quota_exceeded", params={"quota": quota, "limit": limit, "wanted": wanted})


def describe(quota: str) -> str:
    return {"services": _("services"), "versions": _("live versions"),
            "instances": _("instances"), "cpu_millis": _("CPU millicores"),
            "memory_mib": _("MiB of memory")}[quota]


def limits_for(tenant: Tenant) -> Amounts:
    """The tenant's limits: its own override where set, else the settings' default."""
    values = {}
    for name in NAMES:
        override = getattr(tenant, f"quota_{name}", None)
        values[name] = override if override is not None else int(settings.QUOTAS[name])
    return Amounts(**values)


def held(version: Version, instances: int | None = None) -> Amounts:
    """What one live version holds (with `instances`: what it would hold at that count)."""
    from hosting.domain.scaling import initial_instances

    count = instances if instances is not None else max(
        version.desired_instances, initial_instances(version))
    return Amounts(versions=1, instances=count, cpu_millis=count * version.cpu_millis,
                   memory_mib=count * version.memory_mib)


def usage_for(tenant: Tenant, exclude: Version | None = None) -> Amounts:
    total = Amounts(services=Service.objects.filter(tenant=tenant).count())
    versions = Version.objects.live().filter(tenant=tenant)
    if exclude is not None:
        versions = versions.exclude(pk=exclude.pk)
    for version in versions:
        total = total + held(version)
    return total


def check(tenant: Tenant, usage: Amounts, only: tuple[str, ...] = NAMES) -> None:
    """Raise QuotaExceeded for the first quota `usage` goes over."""
    limits = limits_for(tenant)
    for name in only:
        if getattr(usage, name) > getattr(limits, name):
            raise QuotaExceeded(tenant, name, getattr(limits, name), getattr(usage, name))


def check_new_service(tenant: Tenant) -> None:
    check(tenant, usage_for(tenant) + Amounts(services=1), only=("services",))


def check_tenant(tenant: Tenant) -> None:
    """Everything the tenant's live versions hold fits (a version just saved counts)."""
    check(tenant, usage_for(tenant), only=NAMES[1:])


def allowed_instances(version: Version) -> tuple[int, str]:
    """The most instances `version` may run within its tenant's quotas, and the quota that
    bounds it ('' when none is below the version's max replicas)."""
    tenant = version.tenant
    limits, others = limits_for(tenant), usage_for(tenant, exclude=version)
    best, bound = version.max_replicas, ""
    for name, per in (("instances", 1), ("cpu_millis", version.cpu_millis),
                      ("memory_mib", version.memory_mib)):
        room = (getattr(limits, name) - getattr(others, name)) // per if per else best
        if room < best:
            best, bound = max(room, 0), name
    return best, bound
