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


@register.inclusion_tag("console/_change_link.html", takes_context=True)
def change_link(context, href: str, label: str, css: str = "button", modal: bool = False) -> dict:
    """A link for people who may change things; a disabled button saying why for viewers."""
    return {"href": href, "label": label, "css": css, "modal": modal,
            "can_change": context.get("can_change"), "viewer_reason": context.get("viewer_reason")}


@register.inclusion_tag("console/_change_button.html", takes_context=True)
def change_button(context, label: str, css: str = "button primary", name: str = "", value: str = "") -> dict:
    """A submit button, disabled with the reason for viewers."""
    return {"label": label, "css": css, "name": name, "value": value,
            "can_change": context.get("can_change"), "viewer_reason": context.get("viewer_reason")}


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
