"""The console's calls into the registry and the stored logs.

A registry that does not answer shows a message in the page instead of an error page;
a broken import is a bug and fails loudly (tests import this module).
"""
import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from hosting.models import LogEntry, Service, Version
from hosting.orchestration.logs import read_logs
from hosting.registry.client import RegistryError, list_tags
from hosting.registry.guide import upload_guide as registry_guide

log = logging.getLogger(__name__)


def tags(service: Service) -> tuple[list[str] | None, str]:
    """(tags, problem): tags is None when the registry could not be asked."""
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
    raw = registry_guide(service, username)
    # Our own titles, so the guide speaks the console's language.
    steps = [{**step, "title": title} for step, title in zip(raw["steps"], STEP_TITLES, strict=False)]
    return {"registry": raw.get("registry", settings.REGISTRY_HOST),
            "repository": service.repository, "username": username, "steps": steps,
            "notes": raw.get("notes", [])}


def logs(version: Version, source: str, tail: int = 200) -> list[LogEntry]:
    """The last lines of one source (stdout or a log path) of the version."""
    entries = read_logs(version, tail=tail * 4)
    wanted = {"stdout", "stderr"} if source == "stdout" else {source}
    return [e for e in entries if e.source in wanted][-tail:]
