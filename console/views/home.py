"""The projects page (the console's home) and the tenant switcher."""
from django.http import Http404
from django.views.decorators.http import require_POST

from console import nav, tenancy
from console.responses import go, render
from console.tenancy import console_view
from hosting.models import Project


@console_view
def home(request):
    console = request.console
    projects = (Project.objects.filter(tenant=console.tenant).order_by("name")
                if console.tenant else Project.objects.none())
    return render(request, "console/home.html",
                  {"projects": projects, "crumbs": nav.crumbs()})


@require_POST
@console_view
def switch_tenant(request):
    """Make another of the user's tenants the current one (not theirs: 404)."""
    try:
        wanted = int(request.POST.get("tenant", ""))
    except ValueError:
        raise Http404("No such instance.")
    if wanted not in {m.tenant_id for m in request.console.memberships}:
        raise Http404("No such instance.")
    request.session[tenancy.SESSION_KEY] = wanted
    return go(request, "home")
