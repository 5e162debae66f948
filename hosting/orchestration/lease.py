"""The deploy lease, and how the reconcile pass tells a live deploy from a dead one.

A deploy step holds `Version.deploy_lease_until` while it works and pushes it forward
(between phases, during a pull); between steps it holds none and the row says when to
look again (`Version.next_check_at`). A worker killed with -9 stops renewing, so its
lease runs out; a message Redis lost never runs. `stalled()` lists the versions in
creating/adjusting that no live lease covers and that are either overdue (their
`next_check_at` passed DEPLOY_OVERDUE_SECONDS ago) or were never looked at (no
`next_check_at`, nothing recorded for DEPLOY_STALL_SECONDS); the reconcile pass queues
their deploy again.

The lease lives in the database, not in Redis, so a Redis restart neither loses it nor
makes a live deploy look dead. It also fences off a task delivered twice: the second run
finds the lease held and returns. It is not a hard lock: a deploy that could not renew
for a whole stall period (a frozen worker) may overlap with its replacement, which stays
harmless because every phase is idempotent (deterministic container names, get-or-create
rows, conditional updates).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hosting.models import Version, VersionEvent
from hosting.status import VersionStatus

T = TypeVar("T")
DEPLOYING = [VersionStatus.CREATING, VersionStatus.ADJUSTING]
RENEWALS_PER_PERIOD = 4  # renew at a quarter of the period: three renewals may be missed
_renewed: dict[int, float] = {}  # version id -> monotonic time of this process's last renewal


def period() -> timedelta:
    return timedelta(seconds=settings.DEPLOY_STALL_SECONDS)


def acquire(version_id: int) -> bool:
    """Take the lease unless a live deploy holds it (one conditional UPDATE: atomic)."""
    now = timezone.now()
    taken = (Version.objects.filter(pk=version_id)
             .filter(Q(deploy_lease_until__isnull=True) | Q(deploy_lease_until__lt=now))
             .update(deploy_lease_until=now + period()))
    if taken:
        _renewed[version_id] = time.monotonic()
    return bool(taken)


def keep(version_id: int) -> None:
    """Renew the lease this process took, once a quarter of its period has passed."""
    last = _renewed.get(version_id)
    if last is None or time.monotonic() - last < settings.DEPLOY_STALL_SECONDS / RENEWALS_PER_PERIOD:
        return
    Version.objects.filter(pk=version_id).update(deploy_lease_until=timezone.now() + period())
    _renewed[version_id] = time.monotonic()


def release(version_id: int) -> None:
    _renewed.pop(version_id, None)
    Version.objects.filter(pk=version_id).update(deploy_lease_until=None)


def holding(version_id: int, call: Callable[..., T], *args) -> T:
    """Run one long blocking engine call (a pull of a big image) in a thread while this
    thread keeps the lease. The call must not touch the database."""
    interval = settings.DEPLOY_STALL_SECONDS / RENEWALS_PER_PERIOD
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(call, *args)
        while True:
            try:
                return future.result(timeout=interval)
            except TimeoutError:
                keep(version_id)


def stalled(now: datetime | None = None) -> QuerySet[Version]:
    """Live versions in creating/adjusting that no deploy works on: no live lease, and
    either overdue or silent (no look scheduled, no status change and no event for
    DEPLOY_STALL_SECONDS)."""
    now = now or timezone.now()
    cutoff = now - period()
    recent = VersionEvent.objects.filter(version=OuterRef("pk"), created__gte=cutoff)
    overdue = Q(next_check_at__lt=now - timedelta(seconds=settings.DEPLOY_OVERDUE_SECONDS))
    silent = Q(next_check_at__isnull=True, status_changed__lt=cutoff) & ~Exists(recent)
    return (Version.objects.live()
            .filter(status__in=DEPLOYING)
            .filter(Q(deploy_lease_until__isnull=True) | Q(deploy_lease_until__lt=now))
            .filter(overdue | silent))
