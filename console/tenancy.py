"""The current tenant of a console session and the user's role in it.

A user may belong to several tenants (the seed's public instance and an enterprise
instance); the console shows one at a time, remembered in the session. Every page looks
its objects up through `Console.get`, which goes through hosting.access and adds the
current tenant, so another tenant's ids answer 404 (never 403, which would tell that
they exist).
"""
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from hosting import access
from hosting.domain import billing
from hosting.models import Membership, Tenant

SESSION_KEY = "console_tenant_id"
VIEWER_REASON = _("Viewers can look but not change anything in this instance; ask an owner "
                  "for the developer role.")


@dataclass
class Console:
    """What every console page knows about who is looking and at which tenant."""

    user: object
    memberships: list[Membership]
    membership: Membership | None

    @property
    def tenant(self) -> Tenant | None:
        return self.membership.tenant if self.membership else None

    @property
    def can_change(self) -> bool:
        return bool(self.membership and self.membership.can_change)

    @property
    def in_arrears(self) -> bool:
        """Suspended for arrears: every page says so; create and deploy are disabled."""
        return bool(self.tenant and billing.in_arrears(self.tenant))

    def get(self, queryset: QuerySet, **lookup) -> Model:
        """The current tenant's object, or 404."""
        tenant_id = self.tenant.pk if self.tenant else None
        return access.get_for_user(queryset.filter(tenant_id=tenant_id), self.user, **lookup)

    def require_change(self) -> None:
        """Viewers may look but not change (403): call after the object lookup (404 first)."""
        if not self.can_change:
            raise PermissionDenied(VIEWER_REASON)


def load(request) -> Console:
    memberships = list(access.memberships(request.user).order_by("tenant__slug"))
    wanted = request.session.get(SESSION_KEY)
    current = next((m for m in memberships if m.tenant_id == wanted), None)
    if current is None and memberships:
        current = memberships[0]
    return Console(user=request.user, memberships=memberships, membership=current)


def console_view(view):
    """Log in required; attaches `request.console` (tenant, role) for views and templates."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.console = load(request)
        return view(request, *args, **kwargs)

    return wrapper


def context(request) -> dict:
    """The console's tenant and role, added to every page by console.responses.render."""
    console = getattr(request, "console", None)
    if console is None:
        return {}
    return {"console": console, "can_change": console.can_change, "viewer_reason": VIEWER_REASON,
            "in_arrears": console.in_arrears, "arrears_reason": billing.ARREARS_REASON}
