"""Services, their repository's tags, the upload guide and the traffic split."""
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from hosting.api.errors import ServiceUnavailable
from hosting.api.filters import ServiceFilter
from hosting.api.serializers import (
    ServiceSerializer,
    TagsSerializer,
    TrafficReadSerializer,
    TrafficSerializer,
)
from hosting.api.views.catalog import CrudViewSet
from hosting.domain.catalog import delete_parent
from hosting.domain.traffic import set_traffic
from hosting.models import Service, Version
from hosting.registry import client, guide


def live_version_count():
    live = (Version.objects.filter(service=OuterRef("pk"), deleted_at__isnull=True).order_by()
            .values("service").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(live, output_field=IntegerField()), Value(0))


def traffic_body(service: Service) -> dict:
    versions = service.versions.live().order_by("sequence")
    return {"shares": [{"version": v.pk, "percent": v.traffic_percent, "name": v.name,
                        "status": v.status} for v in versions]}


@extend_schema_view(
    list=extend_schema(summary="Services (filter by project or application)"),
    create=extend_schema(summary="Create a service; its image repository is <tenant>/<name>"),
    destroy=extend_schema(summary="Delete a service that has no versions left"),
)
class ServiceViewSet(CrudViewSet):
    serializer_class = ServiceSerializer
    queryset = Service.objects.select_related("tenant", "application").annotate(
        live_versions=live_version_count())
    filterset_class = ServiceFilter
    ordering_fields = ["name", "created", "id"]

    def perform_destroy(self, instance: Service) -> None:
        delete_parent(instance)

    @extend_schema(summary="Tags pushed to the service's repository", responses=TagsSerializer)
    @action(detail=True, methods=["get"])
    def tags(self, request: Request, pk=None) -> Response:
        service = self.get_object()
        try:
            tags = client.list_tags(service.repository)
        except client.RegistryError as exc:  # its message is written for the user
            raise ServiceUnavailable(str(exc))
        return Response({"repository": service.repository, "tags": list(tags)})

    @extend_schema(summary="How to log in, tag and push an image to this service",
                   parameters=[OpenApiParameter("tag", OpenApiTypes.STR, description="The tag to "
                                                "show in the commands (default v1).")],
                   responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="upload-guide")
    def upload_guide(self, request: Request, pk=None) -> Response:
        service = self.get_object()
        tag = request.query_params.get("tag") or guide.EXAMPLE_TAG
        return Response(guide.upload_guide(service, request.user.get_username(), tag=tag))

    @extend_schema(methods=["GET"], summary="The traffic split over the live versions",
                   responses=TrafficReadSerializer)
    @extend_schema(methods=["PUT"], summary="Replace the whole traffic split",
                   description="Versions not named get 0; the shares add up to 100; only "
                               "normal versions may get a share (409 otherwise).",
                   request=TrafficSerializer, responses=TrafficReadSerializer)
    @action(detail=True, methods=["get", "put"])
    def traffic(self, request: Request, pk=None) -> Response:
        service = self.get_object()
        if request.method == "PUT":
            body = TrafficSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            set_traffic(service, {s["version"]: s["percent"] for s in body.validated_data["shares"]})
        return Response(traffic_body(service))

