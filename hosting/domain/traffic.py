"""A service's traffic split: whole-number shares over its normal versions, summing to 100."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hosting import enqueue
from hosting.models import Service, Version
from hosting.reasons import reason
from hosting.status import VersionStatus


class ShareOnUnhealthyVersion(ValidationError):
    """A share for a version that is not normal (the API answers 409)."""


def set_traffic(service: Service, shares: dict[int, int]) -> dict[int, int]:
    """Replace the whole split: versions not named get 0. Returns {version id: percent}."""
    _check_numbers(shares)
    with transaction.atomic():
        Service.objects.select_for_update().get(pk=service.pk)
        versions = {v.pk: v for v in service.versions.live().select_for_update()}
        unknown = [vid for vid in shares if vid not in versions]
        if unknown:
            raise ValidationError({"shares": [_("Version %(id)s is not a live version of this "
                                                "service.") % {"id": unknown[0]}]})
        for vid, percent in shares.items():
            if percent > 0 and versions[vid].status != VersionStatus.NORMAL:
                raise ShareOnUnhealthyVersion(
                    _("%(name)s is %(status)s; only normal versions may receive traffic.")
                    % {"name": versions[vid].name, "status": versions[vid].get_status_display()},
                    code="not_normal",
                )
        for version in versions.values():
            _apply(version, shares.get(version.pk, 0))
        enqueue_router_sync()
    return {vid: shares.get(vid, 0) for vid in versions}


def _check_numbers(shares: dict[int, int]) -> None:
    for percent in shares.values():
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise ValidationError({"shares": [_("Each percent must be a whole number from 0 to 100.")]})
    total = sum(shares.values())
    if total != 100:
        raise ValidationError({"shares": [_("Shares must add up to 100 (they add up to %(total)d).")
                                          % {"total": total}]})


def _apply(version: Version, percent: int) -> None:
    if version.traffic_percent == percent:
        return
    before = version.traffic_percent
    version.traffic_percent = percent
    version.save(update_fields=["traffic_percent"])
    version.record("traffic", reason("traffic.changed", before=before, after=percent))


def open_full(version: Version) -> None:
    """The "open 100% when deployed" policy: this version takes all traffic, others 0."""
    set_traffic(version.service, {version.pk: 100})


def enqueue_router_sync() -> None:
    """Apply the database's split to the router once the transaction commits."""
    enqueue.sync_router()
