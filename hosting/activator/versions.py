"""The activator's synchronous database side (called through asyncio.to_thread).

Plain functions of ids so the async side never touches the ORM from the event loop.
"""
import logging
import re

from django.conf import settings
from django.db import close_old_connections, transaction

from hosting.domain import scaling
from hosting.models import Instance, Service, Version
from hosting.status import VersionStatus

log = logging.getLogger(__name__)

SERVER_NAME = re.compile(r"v(\d+)_act")
# Statuses that may still produce a ready instance if we wait.
WAKEABLE = {VersionStatus.NORMAL, VersionStatus.ABNORMAL, VersionStatus.CREATING,
            VersionStatus.ADJUSTING}


class Unavailable(Exception):
    """The version cannot serve (deleted, failed, suspended): answer at once."""


def version_from_server_name(name: str) -> int | None:
    """HAProxy names the activator slot of version 12 `v12_act` (X-Hosting-Server)."""
    match = SERVER_NAME.fullmatch(name or "")
    return int(match.group(1)) if match else None


def version_from_host(host: str) -> int | None:
    """Fallback when the request did not come through a router slot: parse the Host."""
    close_old_connections()
    host = host.split(":", 1)[0].lower()
    suffix = f".{settings.APPS_DOMAIN}"
    if not host.endswith(suffix):
        return None
    labels = host[: -len(suffix)].split(".")
    live = Version.objects.live()
    if len(labels) == 3 and labels[1] == "preview":
        name, _, label = labels[0].rpartition("-")
        version = live.filter(name=name, preview_label=label, tenant__slug=labels[2]).first()
        return version.pk if version else None
    if len(labels) == 2:
        service = Service.objects.filter(name=labels[0], tenant__slug=labels[1]).first()
        version = live.filter(service=service).order_by("-traffic_percent", "-sequence").first()
        return version.pk if version else None
    return None


def ready_address(version_id: int) -> tuple[str, int] | None:
    close_old_connections()
    row = (Instance.objects.filter(version_id=version_id, ready=True, host_port__isnull=False)
           .order_by("ordinal").values_list("host_ip", "host_port").first())
    return (row[0] or "127.0.0.1", row[1]) if row else None


def wake(version_id: int) -> bool:
    """Ask for one instance; returns whether this call changed desired_instances.

    The row lock makes concurrent wakes (several activator processes) one scale-up.
    """
    close_old_connections()
    with transaction.atomic():
        version = (Version.objects.select_for_update().select_related("service__tenant")
                   .filter(pk=version_id, deleted_at__isnull=True).first())
        if version is None or version.status not in WAKEABLE:
            raise Unavailable(unavailable_reason(version))
        return scaling.wake(version)


def unavailable_reason(version: Version | None) -> str:
    """The 503's text: a suspended app says why, so nobody debugs an app that is fine."""
    if version is None:
        return "This version no longer exists."
    if version.status == VersionStatus.SUSPENDED:
        return ("This app is suspended: its account is in arrears. It is restored "
                "automatically after a recharge.")
    if version.status == VersionStatus.DEPLOY_FAILED:
        return "This version's deploy failed; it cannot serve requests."
    return "This version cannot serve requests."


def converge(version_id: int) -> None:
    """Converge now in this process rather than wait for a worker (cold start speed).

    The reconcile side is idempotent, so the worker's later run finds nothing to do.
    """
    close_old_connections()
    try:
        from hosting.orchestration import reconcile

        reconcile.converge(version_id, wait=True)
    except Exception:  # the worker's run (enqueued by wake) is the fallback
        log.exception("activator: direct converge of version %s failed", version_id)


def report_cold_start(version_id: int, arrived: float, woke: float, first_byte: float,
                      status: int | None = None) -> None:
    """The activator's timings of a request that waited for a wake (phases.cold_start)."""
    close_old_connections()
    try:
        from hosting.orchestration import phases

        phases.cold_start(version_id, arrived, woke, first_byte, status)
    except Exception:  # an observation: a failure here never touches the request
        log.exception("activator: recording the cold start of version %s failed", version_id)


def sync_router() -> None:
    close_old_connections()
    try:
        from hosting import router

        router.sync()
    except Exception:
        log.exception("activator: router sync failed")
