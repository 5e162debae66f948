"""Versions (create with both wizard steps, delete, redeploy, events, logs) and instances."""
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from hosting import rules
from hosting.api.filters import InstanceFilter, VersionFilter
from hosting.api.parsers import PairsJSONParser
from hosting.api.serializers import (
    EventSerializer,
    InstanceDetailSerializer,
    InstanceSerializer,
    LogLineSerializer,
    MetricSampleSerializer,
    VersionCreateSerializer,
    VersionSerializer,
)
from hosting.api.views.base import ScopedViewSet
from hosting.domain.versions import create_version, delete_version, redeploy, starting_config
from hosting.models import Instance, Version
from hosting.orchestration import logs as log_store

IDEMPOTENCY_KEY_MAX = Version._meta.get_field("idempotency_key").max_length
LOG_TAIL_DEFAULT, LOG_TAIL_MAX = 200, 5000
METRICS_DEFAULT, METRICS_MAX = 60, 1440


def creator_name() -> Subquery:
    """The creator's username as a subquery, not a join: a page's COUNT(*) then skips it
    (a joined F() would join auth_user onto every counted row)."""
    return Subquery(get_user_model().objects.filter(pk=OuterRef("created_by_id"))
                    .values("username")[:1])


def idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise serializers.ValidationError(
            {"Idempotency-Key": [f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} characters."]})
    return key


class LogQuery(serializers.Serializer):
    since = serializers.CharField(required=False, help_text="ISO 8601 time; lines after it.")
    tail = serializers.IntegerField(required=False, min_value=1, max_value=LOG_TAIL_MAX,
                                    default=LOG_TAIL_DEFAULT, help_text="The last N lines.")
    instance = serializers.CharField(required=False, help_text="One instance's name.")

    def validate_since(self, value: str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise serializers.ValidationError("since must be an ISO 8601 date and time, "
                                              "e.g. 2024-05-01T12:00:00Z.")
        return parsed


class MetricsQuery(serializers.Serializer):
    last = serializers.IntegerField(required=False, min_value=1, max_value=METRICS_MAX,
                                    default=METRICS_DEFAULT, help_text="The last N samples.")


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Retrying with the same key returns the version the first request created "
                f"(200) instead of creating another. At most {IDEMPOTENCY_KEY_MAX} characters.")


@extend_schema_view(
    list=extend_schema(summary="Versions (live ones unless include_deleted)"),
    retrieve=extend_schema(summary="One version: its config and its state"),
    create=extend_schema(
        summary="Create a version (both wizard steps) and start its deploy",
        description="Fields left out are copied from the service's latest live version "
                    "(the console's wizard pre-fills the same way); description and image_tag "
                    f"are never copied. At most {rules.MAX_VERSIONS_PER_SERVICE} live versions "
                    "per service (409 beyond).",
        parameters=[IDEMPOTENCY_HEADER], request=VersionCreateSerializer,
        responses={201: VersionSerializer, 200: OpenApiResponse(VersionSerializer, "Replayed "
                   "Idempotency-Key: the version the first request created.")}),
    destroy=extend_schema(summary="Delete a version (its instances are removed in the background)",
                          request=None, responses={202: VersionSerializer}),
)
class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.DestroyModelMixin, ScopedViewSet):
    serializer_class = VersionSerializer
    # Related rows hold what preview_url, image_ref and the ids need; only those columns.
    queryset = Version.objects.select_related("service__tenant", "service__application").only(
        *(f.name for f in Version._meta.concrete_fields if f.name != "idempotency_key"),
        "service__name", "service__tenant_id", "service__application_id", "service__tenant__slug",
        "service__application__project_id",
    ).with_running_instances().annotate(created_by_name=creator_name())
    filterset_class = VersionFilter
    parser_classes = [PairsJSONParser, FormParser, MultiPartParser]
    ordering_fields = ["id", "name", "sequence", "created", "status", "status_changed",
                       "traffic_percent"]
    # Newest first: the id index gives this order for free, so a page costs the same with
    # ten versions or ten thousand (sorting by service and sequence would sort them all).
    ordering = ["-id"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("include_deleted") not in {
                "true", "True", "1"}:
            queryset = queryset.live()
        return queryset

    def create(self, request: Request, *args, **kwargs) -> Response:
        body = VersionCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        service = fields.pop("service")
        config = starting_config(service)
        for name, value in fields.items():
            setattr(config, name, value)
        key = idempotency_key(request)
        replay = bool(key) and service.versions.filter(idempotency_key=key).exists()
        version = create_version(service, config, user=request.user, idempotency_key=key)
        data = VersionSerializer(self.get_queryset().get(pk=version.pk)).data
        return Response(data, status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED,
                        headers={"Location": reverse("api:version-detail", args=[version.pk],
                                                     request=request)})

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        version = delete_version(self.get_object(), user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Start a failed version's deploy over (409 unless deploy_failed)",
                   request=None, responses={202: VersionSerializer})
    @action(detail=True, methods=["post"])
    def redeploy(self, request: Request, pk=None) -> Response:
        version = redeploy(self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data,
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="What happened to the version, oldest first (errors carry detail)",
                   responses=EventSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=None)
    def events(self, request: Request, pk=None) -> Response:
        events = self.get_object().events.order_by("created", "id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventSerializer(page, many=True).data)

    @extend_schema(summary="Log lines of the version's instances", parameters=[LogQuery],
                   responses=LogLineSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def logs(self, request: Request, pk=None) -> Response:
        version = self.get_object()
        query = LogQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        lines = log_store.read_logs(version, instance_name=query.validated_data.get("instance"),
                                    since=query.validated_data.get("since"),
                                    tail=query.validated_data["tail"])
        return Response(LogLineSerializer(lines, many=True).data)

    @extend_schema(summary="Request and CPU samples (what the console's charts draw), oldest first",
                   parameters=[MetricsQuery], responses=MetricSampleSerializer(many=True),
                   filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def metrics(self, request: Request, pk=None) -> Response:
        version = self.get_object()
        query = MetricsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        newest = version.metric_samples.order_by("-timestamp", "-id")[: query.validated_data["last"]]
        return Response(MetricSampleSerializer(reversed(list(newest)), many=True).data)


@extend_schema_view(list=extend_schema(summary="Instances (running containers) of your versions"))
class InstanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = InstanceSerializer
    queryset = Instance.objects.select_related("version")

    def get_serializer_class(self):
        """The detail adds `start`: the phases of the current container's start."""
        return InstanceDetailSerializer if self.action == "retrieve" else InstanceSerializer
    tenant_lookup = "version__tenant_id"
    filterset_class = InstanceFilter
    ordering_fields = ["id", "name", "created", "status", "ordinal"]
