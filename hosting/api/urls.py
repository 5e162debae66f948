"""The REST API under /api/v1/, its OpenAPI schema at /api/schema/ and docs at /api/docs/."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from hosting.api import schema  # noqa: F401  (registers the token scheme)
from hosting.api.views.catalog import ApplicationViewSet, ProjectViewSet, TenantViewSet
from hosting.api.views.services import ServiceViewSet
from hosting.api.views.tokens import TokenViewSet
from hosting.api.views.versions import InstanceViewSet, VersionViewSet

router = DefaultRouter()
router.register("tokens", TokenViewSet, basename="token")
router.register("tenants", TenantViewSet, basename="tenant")
router.register("projects", ProjectViewSet, basename="project")
router.register("applications", ApplicationViewSet, basename="application")
router.register("services", ServiceViewSet, basename="service")
router.register("versions", VersionViewSet, basename="version")
router.register("instances", InstanceViewSet, basename="instance")

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
