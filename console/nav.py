"""Breadcrumbs that follow the domain: projects → project → application → hosting → service → version."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hosting.models import Application, Project, Service, Version


def crumbs(obj=None, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """[(label, url), ...] from the projects page down to `obj`, then `extra` items."""
    trail = [(_("Projects"), reverse("home"))]
    if isinstance(obj, Version):
        trail += crumbs(obj.service)[1:] + [(obj.name, reverse("version", args=[obj.pk]))]
    elif isinstance(obj, Service):
        trail += crumbs(obj.application)[1:] + [(obj.name, reverse("service", args=[obj.pk]))]
    elif isinstance(obj, Application):
        trail += crumbs(obj.project)[1:] + [
            (obj.name, reverse("application", args=[obj.pk])),
            (_("Application hosting"), reverse("hosting", args=[obj.pk])),
        ]
    elif isinstance(obj, Project):
        trail.append((obj.name, reverse("project", args=[obj.pk])))
    return trail + list(extra)
