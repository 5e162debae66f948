"""Template helpers: object URLs, status badges, and controls that viewers see disabled."""
from django import template
from django.urls import reverse

from hosting.models import Application, Project, Service, Version
from hosting.status import IN_PROGRESS, VersionStatus

register = template.Library()

URL_NAMES = {Project: "project", Application: "application", Service: "service", Version: "version"}
BADGE_TONES = {
    VersionStatus.NORMAL: "ok", VersionStatus.DEPLOY_FAILED: "bad", VersionStatus.ABNORMAL: "bad",
    VersionStatus.SUSPENDED: "warn", VersionStatus.DELETED: "muted",
}


@register.simple_tag
def console_url(obj, suffix: str = "") -> str:
    """The console page of a project, application, service or version (`suffix`: e.g. "_delete")."""
    return reverse(URL_NAMES[type(obj)] + suffix, args=[obj.pk])


@register.inclusion_tag("console/_badge.html")
def status_badge(version) -> dict:
    tone = "busy" if version.status in IN_PROGRESS else BADGE_TONES.get(version.status, "muted")
    return {"version": version, "tone": tone,
            "failed": version.status == VersionStatus.DEPLOY_FAILED}


def _allowed(context, deploys: bool) -> dict:
    """May this control be used, and if not, why: viewers may change nothing; while the
    tenant is in arrears nothing that creates or deploys a version may run."""
    if not context.get("can_change"):
        return {"can_change": False, "viewer_reason": context.get("viewer_reason")}
    if deploys and context.get("in_arrears"):
        return {"can_change": False, "viewer_reason": context.get("arrears_reason")}
    return {"can_change": True, "viewer_reason": ""}


@register.inclusion_tag("console/_change_link.html", takes_context=True)
def change_link(context, href: str, label: str, css: str = "button", modal: bool = False,
                deploys: bool = False) -> dict:
    """A link for people who may change things; a disabled button saying why otherwise
    (`deploys`: the link leads to creating or deploying a version)."""
    return {"href": href, "label": label, "css": css, "modal": modal, **_allowed(context, deploys)}


@register.inclusion_tag("console/_change_button.html", takes_context=True)
def change_button(context, label: str, css: str = "button primary", name: str = "", value: str = "",
                  deploys: bool = False) -> dict:
    """A submit button, disabled with the reason for viewers (and, with `deploys`, in arrears)."""
    return {"label": label, "css": css, "name": name, "value": value, **_allowed(context, deploys)}


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
