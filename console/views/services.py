"""Application hosting (an application's services) and the service page with its versions."""
from django.db.models import Count, Q
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from console import nav, platform
from console.forms import ServiceForm, check_service_name
from console.responses import form_page, render
from console.tenancy import console_view
from console.views.projects import delete_with_confirm
from console.views.rollouts import panel_context
from hosting import rules
from hosting.models import Application, Service
from hosting.status import IN_PROGRESS


@console_view
def hosting(request, pk: int):
    application = request.console.get(Application.objects.select_related("project"), pk=pk)
    services = (application.services.order_by("name")
                .annotate(version_count=Count("versions", filter=Q(versions__deleted_at=None))))
    return render(request, "console/hosting.html", {
        "application": application, "services": services, "crumbs": nav.crumbs(application),
    })


@require_http_methods(["GET", "POST"])
@console_view
def service_new(request, pk: int):
    application = request.console.get(Application.objects.select_related("project"), pk=pk)
    return form_page(request, ServiceForm, {
        "application": application, "crumbs": nav.crumbs(application, (ServiceForm.title_new, "")),
    }, done="service", template="console/service_new.html", application=application)


@require_GET
@console_view
def service_name_check(request, pk: int):
    """The live check of a new service's name (htmx, on input): its errors or an OK."""
    application = request.console.get(Application.objects, pk=pk)
    name = request.GET.get("name", "").strip()
    errors = check_service_name(application.tenant, name) if name else []
    return render(request, "console/_name_check.html", {
        "name": name, "errors": errors,
        "repository": f"{application.tenant.slug}/{name}" if name and not errors else "",
    })


def versions_of(service: Service) -> list:
    """The live versions with running-instance counts, in a fixed number of queries."""
    versions = list(service.versions.live().order_by("-sequence")
                    .with_running_instances("running"))
    for version in versions:
        version.service = service  # preview_url needs service.tenant: no query per row
    return versions


def _service(request, pk: int) -> Service:
    return request.console.get(
        Service.objects.select_related("tenant", "application__project"), pk=pk)


@require_GET
@console_view
def service(request, pk: int):
    """The service page; its versions table is also the htmx polling fragment, which
    answers 286 (stop polling) once no version is in progress."""
    service = _service(request, pk)
    versions = versions_of(service)
    busy = any(v.status in IN_PROGRESS for v in versions)
    context = {"service": service, "versions": versions, "busy": busy,
               "limit": rules.MAX_VERSIONS_PER_SERVICE, "crumbs": nav.crumbs(service)}
    if request.htmx:
        response = render(request, "console/_versions.html", context)
        if not busy:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    context["guide"] = platform.upload_guide(service, request.user.get_username())
    context.update(panel_context(service))  # the gradual rollout's panel, if any
    return render(request, "console/service.html", context)


@require_GET
@console_view
def upload_guide(request, pk: int):
    service = _service(request, pk)
    return render(request, "console/guide.html", {
        "service": service, "guide": platform.upload_guide(service, request.user.get_username()),
        "crumbs": nav.crumbs(service, (_("Upload guide"), "")),
    }, fragment="console/_guide.html")


@require_http_methods(["GET", "POST"])
@console_view
def service_edit(request, pk: int):
    service = _service(request, pk)
    return form_page(request, ServiceForm, {
        "title": ServiceForm.title_edit, "cancel": service,
        "crumbs": nav.crumbs(service, (ServiceForm.title_edit, "")),
    }, done="service", instance=service, application=service.application)


@require_http_methods(["GET", "POST"])
@console_view
def service_delete(request, pk: int) -> HttpResponse:
    service = _service(request, pk)
    crumbs = nav.crumbs(service)
    return delete_with_confirm(request, service, crumbs, ("hosting", service.application_id))
