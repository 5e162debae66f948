"""What the API reads and writes. Limits are not repeated here: the domain checks them
(hosting/rules.py, hosting/domain/config.py) and its messages name the limit."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hosting import access, catalogue, rules, sealed
from hosting.api.fields import EnvField, ParentField
from hosting.domain import quotas
from hosting.models import (
    ApiToken,
    Application,
    Instance,
    InstanceStart,
    LogEntry,
    MetricSample,
    Project,
    Service,
    Tenant,
    TrafficPolicy,
    Version,
    VersionEvent,
)
from hosting.orchestration import phases
from hosting.status import VersionStatus


def check(rule, value, field: str):
    """Run a domain rule on one field, turning its error into the serializer's."""
    try:
        rule(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict.get(field, exc.messages))
    return value


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "last_used", "revoked"]
        read_only_fields = ["prefix", "created", "last_used", "revoked"]


class TokenCreatedSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The secret key, shown only this once.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]


class TenantSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="The caller's role: owner, developer or viewer.")

    class Meta:
        model = Tenant
        fields = ["id", "slug", "name", "kind", "billing_status", "created", "role"]


class ParentOnCreate:
    """The parent is chosen when an object is created and never moves afterwards."""

    parent_field = ""

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields[self.parent_field].read_only = True
        return fields

    def check_unique(self, attrs, model, scope: dict, message: str) -> None:
        name = attrs.get("name")
        if name is None:
            return
        clash = model.objects.filter(name=name, **scope)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"name": [message % {"name": name}]})


class ProjectSerializer(ParentOnCreate, serializers.ModelSerializer):
    parent_field = "tenant"
    tenant = ParentField(queryset=Tenant.objects.all(), required=False,
                         help_text="Optional when you belong to exactly one tenant.")

    class Meta:
        model = Project
        fields = ["id", "tenant", "name", "description", "created"]
        read_only_fields = ["created"]
        validators = []  # uniqueness is checked below, with the tenant of a new or existing project

    def validate(self, attrs):
        if self.instance is None and "tenant" not in attrs:
            attrs["tenant"] = self.fields["tenant"].to_internal_value(self._only_tenant())
        tenant = attrs.get("tenant") or self.instance.tenant
        self.check_unique(attrs, Project, {"tenant": tenant},
                          "A project named %(name)s already exists in this tenant.")
        return attrs

    def _only_tenant(self) -> int:
        """The caller's one tenant (roles still apply: a viewer gets 403)."""
        tenant_id = access.only_tenant_id(self.context["request"].user)
        if tenant_id is None:
            raise serializers.ValidationError({"tenant": [
                "tenant is required: you belong to several tenants (or none); name one by id."]})
        return tenant_id


class ApplicationSerializer(ParentOnCreate, serializers.ModelSerializer):
    parent_field = "project"
    project = ParentField(queryset=Project.objects.all())

    class Meta:
        model = Application
        fields = ["id", "tenant", "project", "name", "description", "created"]
        read_only_fields = ["tenant", "created"]
        validators = []

    def validate(self, attrs):
        project = attrs.get("project") or self.instance.project
        self.check_unique(attrs, Application, {"project": project},
                          "An application named %(name)s already exists in this project.")
        return attrs

    def create(self, validated_data):
        return Application.objects.create(tenant_id=validated_data["project"].tenant_id, **validated_data)


class ServiceSerializer(ParentOnCreate, serializers.ModelSerializer):
    parent_field = "application"
    application = ParentField(queryset=Application.objects.all())
    project = serializers.IntegerField(source="application.project_id", read_only=True)
    repository = serializers.CharField(read_only=True, help_text="Push images here: <registry>/<repository>:<tag>.")
    image_base = serializers.CharField(read_only=True)
    host = serializers.CharField(read_only=True, help_text="Where the service answers on the router.")
    live_versions = serializers.IntegerField(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "tenant", "project", "application", "name", "description", "repository",
                  "image_base", "host", "live_versions", "created"]
        read_only_fields = ["tenant", "created"]
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # the name is in the repository and the host
            fields["name"].read_only = True
        return fields

    def validate_name(self, value: str) -> str:
        return check(rules.check_dns_label, value, "name")

    def validate(self, attrs):
        if "application" in attrs:
            self.check_unique(attrs, Service, {"tenant_id": attrs["application"].tenant_id},
                              "A service named %(name)s already exists in this tenant.")
        return attrs

    def create(self, validated_data):
        application = validated_data["application"]
        quotas.check_new_service(application.tenant)
        return Service.objects.create(tenant_id=application.tenant_id, **validated_data)


@extend_schema_field({"type": "string", "enum": list(TrafficPolicy.values)})
class TrafficPolicyField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": list(catalogue.BY_KEY)})
class ResourceSpecField(serializers.CharField):
    pass


@extend_schema_field(OpenApiTypes.STR)
class StatusLabelField(serializers.Field):
    """The status in the caller's language. (get_status_display through DRF inspects the
    bound method on every row, which was most of the list's serialisation time.)"""

    def to_representation(self, value: str) -> str:
        return str(VersionStatus(value).label)


class VersionSerializer(serializers.ModelSerializer):
    """A version as read: its immutable config and its observed state."""

    application = serializers.IntegerField(source="service.application_id", read_only=True)
    project = serializers.IntegerField(source="service.application.project_id", read_only=True)
    status_display = StatusLabelField(source="status", read_only=True)
    traffic_policy = TrafficPolicyField(read_only=True)
    resource_spec = ResourceSpecField(read_only=True)
    preview_url = serializers.CharField(read_only=True)
    image_ref = serializers.CharField(read_only=True)
    env = EnvField(read_only=True)
    rollout = serializers.JSONField(read_only=True, help_text="The gradual policy's options "
                                    "({} for the other policies).")
    secret_env = serializers.SerializerMethodField(
        help_text="Secret variables: names only, each shown as \"set\" (write-only values).")
    log_paths = serializers.ListField(child=serializers.CharField(), read_only=True)
    instances_running = serializers.IntegerField(read_only=True)
    instances_desired = serializers.IntegerField(source="desired_instances", read_only=True)
    created_by = serializers.CharField(source="created_by_name", read_only=True, allow_null=True,
                                       help_text="Who created it (null if that user is gone).")

    class Meta:
        model = Version
        fields = ["id", "name", "sequence", "tenant", "project", "application", "service",
                  "status", "status_display", "status_changed", "traffic_percent", "preview_url",
                  "image_tag", "image_digest", "image_ref", "port", "traffic_policy", "rollout",
                  "description", "resource_spec", "cpu_millis", "memory_mib", "min_replicas", "max_replicas",
                  "cpu_target", "log_paths", "initial_delay_seconds", "env", "secret_env", "instances_running",
                  "instances_desired", "saturated", "last_scaled", "last_request", "created",
                  "created_by", "deleted_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "enum": [sealed.MASK]}})
    def get_secret_env(self, version) -> dict[str, str]:
        return sealed.masked(version.secret_env)


class VersionCreateSerializer(serializers.Serializer):
    """Both wizard steps in one body. Fields left out are copied from the service's
    latest version, as the console's wizard pre-fills them (description excepted);
    for a first version they take the product defaults."""

    service = ParentField(queryset=Service.objects.all())
    image_tag = serializers.CharField(required=False, allow_blank=True,
                                      help_text="A tag pushed to the service's repository.")
    port = serializers.IntegerField(required=False, help_text="1–65535, default 80.")
    traffic_policy = TrafficPolicyField(required=False)
    rollout = serializers.JSONField(
        required=False, help_text="With traffic_policy gradual: steps (default [10, 50, 100]), "
        "hold_seconds (default 60, at least 15), max_5xx_percent (default 1), latency_factor "
        "(p95 against the previous version's, default 2), min_requests per step (default 50), "
        "latency_floor_ms (default 100).")
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                        help_text="At most 50 characters.")
    resource_spec = ResourceSpecField(required=False)
    min_replicas = serializers.IntegerField(required=False, help_text="0–50, at most max_replicas.")
    max_replicas = serializers.IntegerField(required=False, help_text="1–50.")
    cpu_target = serializers.IntegerField(required=False, help_text="CPU utilisation %, 1–100.")
    log_paths = serializers.ListField(child=serializers.CharField(trim_whitespace=False), required=False,
                                      help_text="Up to 10: stdout or absolute paths.")
    initial_delay_seconds = serializers.IntegerField(required=False, help_text="0–600, default 2.")
    env = EnvField(required=False, help_text="Up to 100 variables.")
    secret_env = EnvField(required=False, write_only=True,
                          help_text="Secret variables: encrypted at rest, never shown back. "
                                    "Left out: the latest version's secrets are kept.")

    def validate_secret_env(self, pairs):
        """Values are checked in clear, then sealed: only sealed values go further."""
        try:
            rules.check_env_pairs(pairs)
        except DjangoValidationError as exc:
            raise serializers.ValidationError([f"secret_env ({m})" for m in exc.message_dict["env"]])
        return [(name, sealed.seal(value)) for name, value in pairs]

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class EventSerializer(serializers.ModelSerializer):
    """An event as data (`code`, `params`) and as text in the reader's language
    (Accept-Language); `message` is the same text, kept for older clients."""

    text = serializers.CharField(read_only=True)
    message = serializers.CharField(source="text", read_only=True)

    class Meta:
        model = VersionEvent
        fields = ["id", "created", "kind", "level", "code", "params", "text", "message", "detail"]


class LogLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = LogEntry
        fields = ["instance_name", "source", "timestamp", "line"]


class MetricSampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricSample
        fields = ["timestamp", "interval_seconds", "requests", "responses_2xx", "responses_4xx",
                  "responses_5xx", "response_ms", "cpu_percent", "instances"]


class InstanceSerializer(serializers.ModelSerializer):
    service = serializers.IntegerField(source="version.service_id", read_only=True)

    class Meta:
        model = Instance
        fields = ["id", "name", "version", "service", "ordinal", "status", "ready", "container_id",
                  "host_port", "exit_code", "message", "cpu_percent", "memory_bytes",
                  "health_failures", "created", "started", "stopped"]
        read_only_fields = fields


class PhaseSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="resolve, pull, wake, create, start, delay, health, proxy")
    began = serializers.FloatField(help_text="Unix seconds")
    ended = serializers.FloatField(help_text="Unix seconds")
    seconds = serializers.SerializerMethodField()
    detail = serializers.DictField(help_text="pull: bytes, cached; wake: call_seconds; ...")

    def get_seconds(self, phase: dict) -> float:
        return round(phase["ended"] - phase["began"], 4)


class InstanceStartSerializer(serializers.ModelSerializer):
    """Where the start of the instance's current container spent its time."""

    phases = PhaseSerializer(many=True)
    total_seconds = serializers.SerializerMethodField()

    class Meta:
        model = InstanceStart
        fields = ["kind", "started_at", "total_seconds", "phases"]
        read_only_fields = fields

    def get_total_seconds(self, start: InstanceStart) -> float:
        return phases.total(start.phases)


class InstanceDetailSerializer(InstanceSerializer):
    start = serializers.SerializerMethodField()

    class Meta(InstanceSerializer.Meta):
        fields = [*InstanceSerializer.Meta.fields, "start"]
        read_only_fields = fields

    @extend_schema_field(InstanceStartSerializer(allow_null=True))
    def get_start(self, instance: Instance) -> dict | None:
        start = phases.latest(instance)
        return InstanceStartSerializer(start).data if start else None


class ShareSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="0–100; the shares add up to 100.")


class ShareReadSerializer(ShareSerializer):
    name = serializers.CharField()
    status = serializers.CharField()


class TrafficSerializer(serializers.Serializer):
    shares = ShareSerializer(many=True, allow_empty=False)

    def validate_shares(self, shares: list[dict]) -> list[dict]:
        ids = [share["version"] for share in shares]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each version may appear only once.")
        return shares


class TrafficReadSerializer(serializers.Serializer):
    shares = ShareReadSerializer(many=True)


class TagsSerializer(serializers.Serializer):
    repository = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
