"""What every tenant-owned collection shares: scoping, roles, filters and pages."""
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, permissions, viewsets

from hosting import access
from hosting.api.permissions import TenantRole


class ScopedViewSet(viewsets.GenericViewSet):
    """Rows of the caller's tenants only: anything else is a 404 (never a 403)."""

    permission_classes = [permissions.IsAuthenticated, TenantRole]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    # The field holding the tenant id, for models that reach their tenant through a parent.
    tenant_lookup = "tenant_id"

    def get_queryset(self) -> QuerySet:
        ids = access.tenant_ids(self.request.user)
        return super().get_queryset().filter(**{f"{self.tenant_lookup}__in": ids})
