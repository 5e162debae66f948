"""The console's calls into parts other helpers build (registry, runtime logs).

Each call is guarded: a part that is not installed or not answering shows a message in
the page instead of an error page.
"""
import logging

from django.conf import settings
from django.utils.translation import gettext as _

from hosting.models import LogEntry, Service, Version

log = logging.getLogger(__name__)


def tags(service: Service) -> tuple[list[str] | None, str]:
    """(tags, problem): tags is None when the registry could not be asked."""
    try:
        from hosting.registry.client import list_tags
    except ImportError:
        return None, _("The registry is not available yet.")
    try:
        return list(list_tags(service.repository)), ""
    except Exception as exc:  # any registry failure: the wizard still renders
        log.warning("listing tags of %s failed: %s", service.repository, exc)
        return None, _("The registry is unavailable right now (%(error)s).") % {"error": exc}


def upload_guide(service: Service, username: str) -> dict[str, str]:
    """The exact login, tag and push commands for the service's repository."""
    try:
        from hosting.registry.guide import upload_guide as guide
    except ImportError:
        guide = _fallback_guide
    try:
        return dict(guide(service, username))
    except Exception as exc:
        log.warning("upload guide of %s failed: %s", service.repository, exc)
        return _fallback_guide(service, username)


def _fallback_guide(service: Service, username: str) -> dict[str, str]:
    host, image = settings.REGISTRY_HOST, service.image_base
    return {
        "login": f"podman login --tls-verify=false -u {username} {host}",
        "tag": f"podman tag <local-image> {image}:<tag>",
        "push": f"podman push --tls-verify=false {image}:<tag>",
    }


def logs(version: Version, source: str, tail: int = 200) -> list[LogEntry]:
    """The last lines of one source (stdout or a log path) of the version."""
    try:
        from hosting.orchestration.logs import read_logs
    except ImportError:
        entries = list(version.log_entries.order_by("-timestamp", "-id")[:tail * 4])[::-1]
    else:
        try:
            entries = list(read_logs(version, tail=tail * 4))
        except Exception as exc:
            log.warning("reading logs of %s failed: %s", version, exc)
            entries = []
    wanted = {"stdout", "stderr"} if source == "stdout" else {source}
    return [e for e in entries if e.source in wanted][-tail:]
