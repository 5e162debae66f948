"""Tenant scoping and roles, shared by the console and the API.

Every lookup of a tenant's object goes through here: an object outside the caller's
tenants is a 404 (never a 403, which would tell that it exists).
"""
from django.db.models import Model, QuerySet
from django.http import Http404

from hosting.models import Membership


def memberships(user) -> QuerySet:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("tenant")


def tenant_ids(user) -> list[int]:
    return list(memberships(user).values_list("tenant_id", flat=True))


def role_in(user, tenant_id: int) -> str | None:
    return memberships(user).filter(tenant_id=tenant_id).values_list("role", flat=True).first()


def can_change(user, tenant_id: int) -> bool:
    return role_in(user, tenant_id) in {Membership.Role.OWNER, Membership.Role.DEVELOPER}


def scoped(queryset: QuerySet, user) -> QuerySet:
    """Only the rows of the user's tenants (every tenant-owned model has `tenant`)."""
    return queryset.filter(tenant_id__in=tenant_ids(user))


def get_for_user(queryset: QuerySet, user, **lookup) -> Model:
    """The object if it belongs to one of the user's tenants, else Http404."""
    obj = scoped(queryset, user).filter(**lookup).first()
    if obj is None:
        raise Http404("No such object.")
    return obj


def only_tenant_id(user) -> int | None:
    """The caller's tenant when they belong to exactly one (a project created without
    naming its tenant goes there); None when they belong to none or to several."""
    ids = tenant_ids(user)
    return ids[0] if len(ids) == 1 else None
