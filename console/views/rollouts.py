"""The service page's rollout panel (htmx polling until the rollout is over) and its
buttons: pause, resume, promote now, roll back now."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from console.responses import go, render
from console.tenancy import console_view
from hosting.models import Service
from hosting.rollouts import actions, report

ACTIONS = {"pause": actions.pause, "resume": actions.resume, "promote": actions.promote,
           "rollback": actions.roll_back}


def panel_context(service: Service) -> dict:
    rollout = report.latest(service)
    return {"service": service, "rollout": rollout,
            "rollout_summary": report.summary(rollout) if rollout else None}


@require_GET
@console_view
def rollout_panel(request, pk: int):
    """The panel alone; answers 286 (stop polling) once the rollout is not running."""
    service = request.console.get(Service.objects, pk=pk)
    context = panel_context(service)
    response = render(request, "console/_rollout.html", context)
    rollout = context["rollout"]
    if rollout is None or not rollout.is_active:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
@console_view
def rollout_action(request, pk: int, action: str):
    service = request.console.get(Service.objects, pk=pk)
    request.console.require_change()
    if action not in ACTIONS:
        raise Http404(action)
    try:
        ACTIONS[action](service, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return go(request, "service", service.pk)
