"""The one number the reconcile loop converges to: Version.desired_instances.

Deploy, the autoscaler, the idle check and the activator's wake-up all change it here,
each clamped by the version's rules, and then ask the worker to converge that version.
"""
from django.utils import timezone

from hosting import enqueue, reasons
from hosting.models import Version
from hosting.status import VersionStatus


def initial_instances(version: Version) -> int:
    """Instances right after deploy: the minimum; min 0 with traffic 0 means none.

    A min-0 version that opens traffic on deploy, or already holds a share (restored
    after a recharge), starts one instance so its health can be checked; the idle check
    later lets it sleep.
    """
    if version.min_replicas == 0 and (version.traffic_policy == "open_full"
                                      or version.traffic_percent > 0):
        return 1
    return version.min_replicas


def clamp(version: Version, count: int) -> int:
    return max(version.min_replicas, min(version.max_replicas, count))


def set_desired(version: Version, count: int, reason: reasons.Reason | str,
                scaled: bool = True) -> bool:
    """Store a new desired count (unclamped callers beware) and enqueue convergence."""
    if version.desired_instances == count:
        return False
    before = version.desired_instances
    now = timezone.now()
    Version.objects.filter(pk=version.pk).update(
        desired_instances=count, **({"last_scaled": now} if scaled else {}))
    version.desired_instances = count
    if scaled:
        version.last_scaled = now
    why = reason.as_param() if isinstance(reason, reasons.Reason) else reason
    version.record("scale", reasons.reason("scale.changed", before=before, after=count, why=why))
    enqueue_converge(version.pk)
    return True


def wake(version: Version) -> bool:
    """A request arrived for a version at 0 instances: start one (the activator calls this)."""
    Version.objects.filter(pk=version.pk).update(last_request=timezone.now())
    if version.desired_instances > 0 or version.status not in {VersionStatus.NORMAL,
                                                              VersionStatus.ABNORMAL}:
        return False
    return set_desired(version, max(1, version.min_replicas), reasons.reason("scale.cold_start"))


def enqueue_converge(version_id: int) -> None:
    enqueue.converge(version_id)
