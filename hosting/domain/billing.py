"""Arrears and recharge: the seed's "suspended for arrears" and "adjusting" states.

`suspend_for_arrears` stops every version of a tenant that runs or is about to run:
status SUSPENDED, `desired_instances` 0 (the reconcile loop removes the containers),
traffic shares untouched so a recharge brings the service's split back as it was.
`recharge` turns every SUSPENDED version ADJUSTING and hands it to the deploy pipeline
(hosting/orchestration/deploy.py), which restores `initial_instances()`, health-checks
them and marks the version NORMAL, or DEPLOY_FAILED with the error log.

Both lock the tenant row first, so they serialise with each other and with
create_version (which locks it too and refuses while the tenant is in arrears), and
both are idempotent: a second call finds nothing left to change and returns 0.
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hosting import enqueue
from hosting.domain import scaling, traffic
from hosting.models import Tenant, Version
from hosting.reasons import reason
from hosting.status import VersionStatus

S = VersionStatus
# A version in any of these either runs instances or is about to start some.
STOPPABLE = {S.CREATING, S.NORMAL, S.ABNORMAL, S.DEPLOY_FAILED, S.ADJUSTING}
ARREARS_REASON = gettext_lazy("This account is suspended for arrears: its versions are "
                              "stopped and no version can be created or deployed. Recharge "
                              "to restore them.")


class TenantInArrears(ValidationError):
    """The tenant is suspended for arrears (the API answers 409)."""


def in_arrears(tenant: Tenant) -> bool:
    return tenant.billing_status == Tenant.Billing.ARREARS


def check_active(tenant: Tenant) -> None:
    """Refuse work that would start instances while the tenant is in arrears."""
    if in_arrears(tenant):
        raise TenantInArrears(
            _("The account %(tenant)s is suspended for arrears: no version can be created "
              "or deployed until it is recharged.") % {"tenant": tenant.slug},
            code="arrears",
        )


def suspend_for_arrears(tenant: Tenant) -> int:
    """Mark the tenant in arrears and stop its versions; returns how many were stopped."""
    with transaction.atomic():
        tenant = _lock(tenant, Tenant.Billing.ARREARS)
        versions = list(Version.objects.live().select_for_update()
                        .filter(tenant=tenant, status__in=STOPPABLE).order_by("pk"))
        for version in versions:
            stopped = version.desired_instances
            version.set_status(
                S.SUSPENDED,
                reason("billing.suspended", count=stopped, pct=version.traffic_percent),
                desired_instances=0, saturated=False)
            scaling.enqueue_converge(version.pk)
        if versions:
            traffic.enqueue_router_sync()
    return len(versions)


def recharge(tenant: Tenant) -> int:
    """Mark the tenant active and restore its suspended versions through ADJUSTING;
    returns how many versions are being restored."""
    with transaction.atomic():
        tenant = _lock(tenant, Tenant.Billing.ACTIVE)
        versions = list(Version.objects.live().select_for_update()
                        .filter(tenant=tenant, status=S.SUSPENDED).order_by("pk"))
        for version in versions:
            version.set_status(
                S.ADJUSTING,
                reason("billing.recharged", count=scaling.initial_instances(version)),
                next_check_at=None)
            enqueue.deploy(version.pk)
    return len(versions)


def _lock(tenant: Tenant, billing_status: str) -> Tenant:
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.billing_status != billing_status:
        locked.billing_status = billing_status
        locked.save(update_fields=["billing_status"])
    tenant.billing_status = billing_status
    return locked
