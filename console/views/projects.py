"""Projects and their applications: create, rename, delete (with confirmation)."""
from django.views.decorators.http import require_http_methods

from console import nav
from console.forms import ApplicationForm, ProjectForm
from console.responses import form_page, go, render
from console.tenancy import console_view
from hosting.domain import catalog
from hosting.models import Application, Project


@require_http_methods(["GET", "POST"])
@console_view
def project_new(request):
    return form_page(request, ProjectForm, {
        "title": ProjectForm.title_new, "crumbs": nav.crumbs(None, (ProjectForm.title_new, "")),
    }, done="project", tenant=request.console.tenant)


@console_view
def project(request, pk: int):
    project = request.console.get(Project.objects, pk=pk)
    return render(request, "console/project.html", {
        "project": project, "applications": project.applications.order_by("name"),
        "crumbs": nav.crumbs(project),
    })


@require_http_methods(["GET", "POST"])
@console_view
def project_edit(request, pk: int):
    project = request.console.get(Project.objects, pk=pk)
    return form_page(request, ProjectForm, {
        "title": ProjectForm.title_edit, "cancel": project,
        "crumbs": nav.crumbs(project, (ProjectForm.title_edit, "")),
    }, done="project", instance=project, tenant=project.tenant)


@require_http_methods(["GET", "POST"])
@console_view
def project_delete(request, pk: int):
    project = request.console.get(Project.objects, pk=pk)
    crumbs = nav.crumbs(project)
    return delete_with_confirm(request, project, crumbs, ("home",))


@require_http_methods(["GET", "POST"])
@console_view
def application_new(request, pk: int):
    project = request.console.get(Project.objects, pk=pk)
    return form_page(request, ApplicationForm, {
        "title": ApplicationForm.title_new, "cancel": project,
        "crumbs": nav.crumbs(project, (ApplicationForm.title_new, "")),
    }, done="application", project=project)


@console_view
def application(request, pk: int):
    application = request.console.get(Application.objects.select_related("project"), pk=pk)
    return render(request, "console/application.html", {
        "application": application, "crumbs": nav.crumbs(application)[:-1],
        "service_count": application.services.count(),
    })


@require_http_methods(["GET", "POST"])
@console_view
def application_edit(request, pk: int):
    application = request.console.get(Application.objects.select_related("project"), pk=pk)
    return form_page(request, ApplicationForm, {
        "title": ApplicationForm.title_edit, "cancel": application,
        "crumbs": nav.crumbs(application)[:-1] + [(ApplicationForm.title_edit, "")],
    }, done="application", instance=application, project=application.project)


@require_http_methods(["GET", "POST"])
@console_view
def application_delete(request, pk: int):
    application = request.console.get(Application.objects.select_related("project"), pk=pk)
    crumbs = nav.crumbs(application)[:-1]
    return delete_with_confirm(request, application, crumbs, ("project", application.project_id))


def delete_with_confirm(request, obj, crumbs: list, done: tuple):
    """GET asks "are you sure"; POST deletes, unless versions remain under the object
    (hosting.domain.catalog refuses, and the confirmation says why with a 409)."""
    if request.method == "POST":
        request.console.require_change()
        try:
            catalog.delete_parent(obj)
        except catalog.HasVersions:
            return confirm(request, obj, crumbs, status=409)
        return go(request, *done)
    return confirm(request, obj, crumbs)


def confirm(request, obj, crumbs: list, status: int = 200):
    """The "are you sure" page (a modal's body for htmx) of a destructive action."""
    delete_url = request.path
    return render(request, "console/confirm_delete.html",
                  {"object": obj, "blocked": catalog.remaining_versions(obj).count(),
                   "crumbs": crumbs, "delete_url": delete_url, "cancel": obj},
                  fragment="console/_confirm_delete.html", status=status)
