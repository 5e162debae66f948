"""A service's traffic split: whole-number shares over its normal versions, summing to 100."""
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console import nav
from console.responses import go, render
from console.tenancy import console_view
from hosting.models import Service
from hosting.rollouts.actions import set_traffic_by_hand
from hosting.status import VersionStatus


def _read_shares(post, versions) -> tuple[dict[int, int], dict[int, str], list[str]]:
    """(shares, typed values, errors): a non-integer is an error next to its row."""
    shares, typed, errors = {}, {}, []
    for version in versions:
        raw = post.get(f"share_{version.pk}", "0").strip() or "0"
        typed[version.pk] = raw
        try:
            shares[version.pk] = int(raw)
        except ValueError:
            errors.append(_("%(name)s: %(value)s is not a whole number.") % {"name": version.name, "value": raw})
    return shares, typed, errors


@require_http_methods(["GET", "POST"])
@console_view
def traffic(request, pk: int):
    service = request.console.get(Service.objects.select_related("tenant", "application__project"), pk=pk)
    versions = list(service.versions.live().order_by("-sequence"))
    normal = [v for v in versions if v.status == VersionStatus.NORMAL]
    typed = {v.pk: str(v.traffic_percent) for v in normal}
    errors: list[str] = []
    if request.method == "POST":
        request.console.require_change()
        shares, typed, errors = _read_shares(request.POST, normal)
        if not errors:
            try:
                set_traffic_by_hand(service, shares, request.user)  # cancels a rollout
            except ValidationError as exc:
                errors = exc.messages
            else:
                return go(request, "service", service.pk)
    return render(request, "console/traffic.html", {
        "service": service, "versions": versions, "normal": normal, "typed": typed,
        "errors": errors, "crumbs": nav.crumbs(service, (_("Traffic"), "")),
        "total": sum(v.traffic_percent for v in versions),
    }, fragment="console/_traffic_form.html", status=400 if errors else 200)
