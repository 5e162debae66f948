"""The console's calls into parts other helpers build (registry, runtime logs).

Each call is guarded: a part that is not installed or not answering shows a message in
the page instead of an error page.
"""
import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from hosting.models import LogEntry, Service, Version

log = logging.getLogger(__name__)


def tags(service: Service) -> tuple[list[str] | None, str]:
    """(tags, problem): tags is None when the registry could not be asked."""
    try:
        from hosting.registry.client import RegistryError, list_tags
    except ImportError:
        return None, _("The registry is not available yet.")
    try:
        return list(list_tags(service.repository)), ""
    except RegistryError as exc:  # its messages are written for the user
        return None, str(exc)
    except Exception as exc:  # any other failure: the wizard still renders
        log.warning("listing tags of %s failed: %s", service.repository, exc)
        return None, _("The registry is unavailable right now (%(error)s).") % {"error": exc}


STEP_TITLES = (_lazy("Log in to the registry"), _lazy("Tag your local image for this service"),
               _lazy("Push it"))


def upload_guide(service: Service, username: str) -> dict:
    """The exact login, tag and push commands (podman and docker) for the repository."""
    try:
        from hosting.registry.guide import upload_guide as guide
    except ImportError:
        guide = _fallback_guide
    try:
        raw = dict(guide(service, username))
    except Exception as exc:
        log.warning("upload guide of %s failed: %s", service.repository, exc)
        raw = _fallback_guide(service, username)
    steps = raw.get("steps") or [{"podman": raw[key]} for key in ("login", "tag", "push")]
    # Our own titles, so the guide speaks the console's language.
    steps = [{**step, "title": title} for step, title in zip(steps, STEP_TITLES, strict=False)]
    return {"registry": raw.get("registry", settings.REGISTRY_HOST),
            "repository": service.repository, "username": username, "steps": steps,
            "notes": raw.get("notes", [])}


def _fallback_guide(service: Service, username: str) -> dict:
    host, image = settings.REGISTRY_HOST, f"{service.image_base}:v1"
    return {"steps": [
        {"podman": f"podman login --tls-verify=false -u {username} {host}",
         "docker": f"docker login -u {username} {host}"},
        {"podman": f"podman tag my-image:latest {image}", "docker": f"docker tag my-image:latest {image}"},
        {"podman": f"podman push --tls-verify=false {image}", "docker": f"docker push {image}"},
    ]}


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
