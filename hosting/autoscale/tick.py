"""The autoscaler's beat tick: measure, ask the pure policy, apply through the contract.

Only Version.desired_instances changes here (hosting.domain.scaling.set_desired); the
reconcile side converges the instances and the router follows their readiness.
"""
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hosting.autoscale.policy import Decision, Inputs, decide
from hosting.domain import scaling
from hosting.models import Version
from hosting.reasons import reason
from hosting.status import VersionStatus

log = logging.getLogger(__name__)


def inputs_for(version: Version, now) -> tuple[Inputs, int]:
    """The policy's inputs and the number of ready instances."""
    ready = list(version.instances.filter(ready=True).values_list("cpu_percent", flat=True))
    measured = [cpu for cpu in ready if cpu is not None]
    avg = sum(measured) / len(measured) if measured else None
    return Inputs(count=version.desired_instances, avg_cpu=avg, target=version.cpu_target,
                  min_replicas=version.min_replicas, max_replicas=version.max_replicas,
                  traffic=version.traffic_percent, last_scaled=version.last_scaled, now=now,
                  cooldown_seconds=settings.AUTOSCALE_COOLDOWN_SECONDS), len(ready)


def autoscale(version_id: int, now=None) -> Decision | None:
    now = now or timezone.now()
    with transaction.atomic():
        version = Version.objects.select_for_update().filter(
            pk=version_id, deleted_at__isnull=True, status=VersionStatus.NORMAL).first()
        if version is None:
            return None
        inputs, ready = inputs_for(version, now)
        if inputs.traffic > 0 and ready != inputs.count:
            return Decision(0, version.saturated, "converging")  # judge steady states only
        decision = decide(inputs)
        if decision.delta:
            target = scaling.clamp(version, version.desired_instances + decision.delta)
            scaling.set_desired(version, target, decision.why or decision.reason)
        mark_saturated(version, decision)
    return decision


def mark_saturated(version: Version, decision: Decision) -> None:
    if decision.saturated == version.saturated:
        return
    Version.objects.filter(pk=version.pk).update(saturated=decision.saturated)
    version.saturated = decision.saturated
    if decision.saturated:
        why = decision.why.as_param() if decision.why else decision.reason
        version.record("saturated", reason("scale.saturated", why=why), level="warning")
    else:
        version.record("saturated", reason("scale.unsaturated"))


def autoscale_all() -> dict[int, Decision]:
    now = timezone.now()
    ids = Version.objects.live().filter(status=VersionStatus.NORMAL).values_list("pk", flat=True)
    decisions = {}
    for version_id in ids:
        try:
            decision = autoscale(version_id, now)
        except Exception:  # one broken version must not stop the others' scaling
            log.exception("autoscaling version %s failed", version_id)
            continue
        if decision is not None:
            decisions[version_id] = decision
    return decisions
