"""Roles through the API: every member reads; owners and developers change.

Objects outside the caller's tenants never reach these checks: querysets are scoped
first (hosting/access.py), so those are 404s. Within a tenant, a viewer's attempt to
change something is a 403.
"""
from rest_framework import exceptions, permissions

from hosting import access
from hosting.models import Instance, Tenant


def tenant_id_of(obj) -> int:
    if isinstance(obj, Tenant):
        return obj.pk
    if isinstance(obj, Instance):
        return obj.version.tenant_id
    return obj.tenant_id


def require_change(user, obj) -> None:
    """Raise 403 unless the user may change objects of `obj`'s tenant."""
    if not access.can_change(user, tenant_id_of(obj)):
        raise exceptions.PermissionDenied("Your role in this tenant is read-only (viewer).")


class TenantRole(permissions.BasePermission):
    message = "Your role in this tenant is read-only (viewer)."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return access.can_change(request.user, tenant_id_of(obj))
