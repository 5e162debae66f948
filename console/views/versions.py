"""The version page: config, instances, events, live logs, charts; delete and redeploy."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from console import charts, nav, platform, timeline
from console.responses import go, render
from console.tenancy import console_view
from hosting import catalogue
from hosting.domain.versions import delete_version, redeploy
from hosting.models import Version
from hosting.status import IN_PROGRESS, SERVING


def _version(request, pk: int) -> Version:
    return request.console.get(
        Version.objects.select_related("service__tenant", "service__application__project"), pk=pk)


def _live_context(version: Version) -> dict:
    return {"version": version, "instances": list(version.instances.order_by("ordinal")),
            "events": list(version.events.order_by("-created", "-id")[:50]),
            "busy": version.status in IN_PROGRESS, "starts": timeline.for_version(version)}


@require_GET
@console_view
def version(request, pk: int):
    """The page; for htmx, its live part (status, instances, events) until it settles."""
    version = _version(request, pk)
    context = _live_context(version)
    if request.htmx:
        response = render(request, "console/_version_live.html", context)
        if not context["busy"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    context.update(
        crumbs=nav.crumbs(version), spec=catalogue.BY_KEY.get(version.resource_spec),
        sources=_sources(version), charts=charts.for_version(version),
    )
    return render(request, "console/version.html", context)


def _sources(version: Version) -> list[str]:
    return ["stdout"] + [p for p in version.log_paths if p != "stdout"]


@require_GET
@console_view
def logs(request, pk: int):
    """The log tail of one source; polling stops once the version no longer runs."""
    version = _version(request, pk)
    sources = _sources(version)
    source = request.GET.get("source", "stdout")
    source = source if source in sources else "stdout"
    running = version.is_live and (version.status in SERVING or version.status in IN_PROGRESS)
    context = {"version": version, "source": source, "sources": sources, "running": running,
               "entries": platform.logs(version, source), "crumbs": nav.crumbs(version)}
    response = render(request, "console/logs.html", context, fragment="console/_logs.html")
    if request.htmx and not running:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_GET
@console_view
def error_log(request, pk: int):
    """The detailed error log behind a "deploy failed" badge (a modal's body for htmx)."""
    version = _version(request, pk)
    return render(request, "console/error_log.html",
                  {"version": version, "error": version.latest_error(), "crumbs": nav.crumbs(version)},
                  fragment="console/_error_log.html")


@require_http_methods(["GET", "POST"])
@console_view
def version_delete(request, pk: int):
    version = _version(request, pk)
    if request.method == "POST":
        request.console.require_change()
        try:
            delete_version(version, user=request.user)
        except ValidationError as exc:  # VersionHoldsTraffic: move its traffic first
            messages.error(request, exc.messages[0])
            return go(request, "version", version.pk)
        messages.success(request, _("%(name)s is being deleted.") % {"name": version.name})
        return go(request, "service", version.service_id)
    return render(request, "console/confirm_delete.html", {
        "object": version, "blocked": 0, "crumbs": nav.crumbs(version),
        "delete_url": request.path, "cancel": version, "holds_traffic": version.traffic_percent,
    }, fragment="console/_confirm_delete.html")


@require_POST
@console_view
def version_redeploy(request, pk: int):
    version = _version(request, pk)
    request.console.require_change()
    try:
        redeploy(version)
    except ValidationError as exc:  # NotRedeployable
        messages.error(request, exc.messages[0])
    return go(request, "version", version.pk)
