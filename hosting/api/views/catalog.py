"""Tenants (read), projects and applications: the tree services live in."""
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets

from hosting import access
from hosting.api.filters import ApplicationFilter, ProjectFilter
from hosting.api.serializers import ApplicationSerializer, ProjectSerializer, TenantSerializer
from hosting.api.views.base import ScopedViewSet
from hosting.domain.catalog import delete_parent
from hosting.models import Application, Membership, Project, Tenant


@extend_schema_view(list=extend_schema(summary="Your tenants, with your role in each"))
class TenantViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TenantSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Tenant.objects.all()

    def get_queryset(self):
        user = self.request.user
        role = Membership.objects.filter(tenant=OuterRef("pk"), user_id=user.pk).values("role")[:1]
        return super().get_queryset().filter(pk__in=access.tenant_ids(user)).annotate(role=Subquery(role))


class CrudViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedViewSet):
    pass


class ProjectViewSet(CrudViewSet):
    serializer_class = ProjectSerializer
    queryset = Project.objects.all()
    filterset_class = ProjectFilter
    ordering_fields = ["name", "created", "id"]

    def perform_destroy(self, instance: Project) -> None:
        delete_parent(instance)


class ApplicationViewSet(CrudViewSet):
    serializer_class = ApplicationSerializer
    queryset = Application.objects.all()
    filterset_class = ApplicationFilter
    ordering_fields = ["name", "created", "id"]

    def perform_destroy(self, instance: Application) -> None:
        delete_parent(instance)
