"""Scale to zero: a min-0 version that received no request for the idle window sleeps.

Its next request reaches the activator (the router's activator slot takes over once no
instance is ready), which wakes it again.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hosting.domain import scaling
from hosting.models import Version
from hosting.reasons import reason
from hosting.status import SERVING


def last_activity(version: Version):
    """The latest of: a request, a scaling change (a wake counts), a status change."""
    moments = [version.last_request, version.last_scaled, version.status_changed]
    return max(m for m in moments if m is not None)


def scale_idle_to_zero(now=None) -> list[int]:
    """Returns the ids of the versions put to sleep."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.SCALE_TO_ZERO_IDLE_SECONDS)
    candidates = Version.objects.live().filter(min_replicas=0, desired_instances__gt=0,
                                               status__in=SERVING)
    slept = []
    for candidate in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            version = Version.objects.select_for_update().filter(
                pk=candidate, desired_instances__gt=0).first()
            if version is None or now - last_activity(version) < window:
                continue
            minutes = settings.SCALE_TO_ZERO_IDLE_SECONDS / 60
            scaling.set_desired(version, 0, reason("scale.idle", minutes=f"{minutes:g}"))
            slept.append(version.pk)
    return slept
