"""Versions of a service, their instances and their event timeline."""
from django.conf import settings
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hosting import catalogue, reasons, rules
from hosting.models.catalog import Service
from hosting.models.tenancy import Tenant
from hosting.reasons import Reason
from hosting.status import InstanceStatus, VersionStatus, check_transition


class TrafficPolicy(models.TextChoices):
    KEEP_ZERO = "keep_zero", _("Keep traffic at 0 after deploy")
    OPEN_FULL = "open_full", _("Open 100% of traffic once deployed")
    GRADUAL = "gradual", _("Shift traffic step by step, rolling back on errors")


class VersionQuerySet(models.QuerySet):
    def live(self):
        """Versions that exist for the user: not deleted (they count toward the 10)."""
        return self.filter(deleted_at__isnull=True)

    def for_tenants(self, tenant_ids):
        return self.filter(tenant_id__in=tenant_ids)

    def with_running_instances(self, name: str = "instances_running"):
        """Each version's count of running instances (InstanceQuerySet.running), the one
        figure the API, the console and the admin show. A subquery, not a join: a page's
        COUNT(*) skips it and no GROUP BY spans the version's columns."""
        counted = (Instance.objects.running().filter(version=OuterRef("pk")).order_by()
                   .values("version").annotate(n=Count("pk")).values("n"))
        return self.annotate(**{name: Coalesce(Subquery(counted, output_field=IntegerField()),
                                               Value(0))})


class Version(models.Model):
    """One immutable deployment config of a service; a change is a new version."""

    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="versions")
    service = models.ForeignKey(Service, models.CASCADE, related_name="versions")
    sequence = models.PositiveIntegerField(editable=False)
    name = models.CharField(max_length=64, editable=False)

    # Step 1: version config.
    image_tag = models.CharField(max_length=128)
    image_digest = models.CharField(max_length=100, blank=True, editable=False)
    port = models.PositiveIntegerField(default=rules.PORT_DEFAULT)
    traffic_policy = models.CharField(max_length=20, choices=TrafficPolicy.choices,
                                      default=TrafficPolicy.KEEP_ZERO)
    description = models.CharField(max_length=rules.DESCRIPTION_MAX_CHARS, blank=True)
    # The gradual policy's options (hosting/rollouts/options.py), {} for the other two.
    rollout = models.JSONField(default=dict, blank=True)

    # Step 2: hosting config.
    resource_spec = models.CharField(max_length=20, choices=catalogue.CHOICES,
                                     default=catalogue.DEFAULT_SPEC)
    cpu_millis = models.PositiveIntegerField(editable=False)
    memory_mib = models.PositiveIntegerField(editable=False)
    min_replicas = models.PositiveIntegerField(default=rules.MIN_REPLICAS_DEFAULT)
    max_replicas = models.PositiveIntegerField(default=rules.MAX_REPLICAS_DEFAULT)
    cpu_target = models.PositiveIntegerField(default=rules.CPU_TARGET_DEFAULT)
    log_paths = models.JSONField(default=list)
    initial_delay_seconds = models.PositiveIntegerField(default=rules.INITIAL_DELAY_DEFAULT)
    # [[name, value], ...]: a list keeps the user's order (PostgreSQL's jsonb sorts keys).
    env = models.JSONField(default=list, blank=True)
    # [[name, sealed value], ...]: write-only secrets, sealed at rest (hosting/sealed.py).
    secret_env = models.JSONField(default=list, blank=True)

    # Observed and controlled state.
    status = models.CharField(max_length=20, choices=VersionStatus.choices,
                              default=VersionStatus.CREATING, db_index=True)
    status_changed = models.DateTimeField(default=timezone.now)
    traffic_percent = models.PositiveSmallIntegerField(default=0)
    desired_instances = models.PositiveIntegerField(default=0)
    saturated = models.BooleanField(default=False)
    last_scaled = models.DateTimeField(null=True, blank=True)
    last_request = models.DateTimeField(null=True, blank=True)
    # Renewed by the running deploy; a deploy whose lease ran out is dead (worker killed)
    # and the reconcile pass starts it again (hosting/orchestration/lease.py).
    deploy_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Level-triggered control (hosting/orchestration/deploy.py): the deploy phase the
    # version is in and when a worker should look at it again; the reconcile pass
    # restarts anything overdue, so a lost message only delays.
    deploy_phase = models.CharField(max_length=20, blank=True, editable=False)
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # The deploy's image phases (resolve, pull) as {name, began, ended, detail}: they
    # happen once per version, before any instance exists; each deploy-time start copies
    # them (hosting/orchestration/phases.py).
    deploy_phases = models.JSONField(default=list, blank=True, editable=False)

    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Random part of the preview host (rules.preview_label), drawn when the version is made.
    preview_label = models.CharField(max_length=16, blank=True, editable=False,
                                     default=rules.preview_label)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["service_id", "-sequence"]
        # Lists filter by tenant and liveness: counting a page's total stays index-only.
        indexes = [models.Index(fields=["tenant", "deleted_at"], name="version_tenant_live")]
        constraints = [
            models.UniqueConstraint(fields=["service", "sequence"], name="version_sequence_per_service"),
            models.UniqueConstraint(fields=["service", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="version_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def image_ref(self) -> str:
        """What the runtime pulls: pinned to the digest, so a re-pushed tag changes nothing."""
        base = self.service.image_base
        return f"{base}@{self.image_digest}" if self.image_digest else f"{base}:{self.image_tag}"

    @property
    def preview_host(self) -> str:
        """`<name>-<random label>.preview.<tenant>.<domain>`: the label makes a version
        held at 0% unreachable for whoever merely knows (or counts) its sequence."""
        first = f"{self.name}-{self.preview_label}" if self.preview_label else self.name
        return f"{first}.preview.{self.service.tenant.slug}.{settings.APPS_DOMAIN}"

    @property
    def preview_url(self) -> str:
        port = "" if settings.ROUTER_PORT == 80 else f":{settings.ROUTER_PORT}"
        return f"http://{self.preview_host}{port}/"

    @property
    def is_live(self) -> bool:
        return self.deleted_at is None

    @property
    def env_dict(self) -> dict[str, str]:
        return dict(self.env)

    def set_status(self, new: str, why: Reason | str | None = None, detail: str = "",
                   **fields) -> None:
        """Move to `new` through the transition table, save, and record the event."""
        check_transition(self.status, new)
        changed = new != self.status
        self.status = new
        self.status_changed = timezone.now() if changed else self.status_changed
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "status_changed", *fields])
        if changed or why:
            level = VersionEvent.Level.ERROR if detail else VersionEvent.Level.INFO
            self.record(f"status:{new}", why or reasons.reason("version.status", state=new),
                        detail, level)

    def record(self, kind: str, why: Reason | str, detail: str = "",
               level: str = "info") -> "VersionEvent":
        """Store what happened as a code and its parameters (and the English text)."""
        why = reasons.plain(why) if isinstance(why, str) else why
        return VersionEvent.objects.create(
            version=self, kind=kind, code=why.code, params=why.params, detail=detail,
            level=level, message=why.text("en")[:500])

    def latest_error(self):
        return self.events.filter(level=VersionEvent.Level.ERROR).order_by("-created", "-id").first()


class InstanceQuerySet(models.QuerySet):
    def running(self):
        """Instances that are running: what every surface counts as "running"."""
        return self.filter(status=InstanceStatus.RUNNING)


class Instance(models.Model):
    """One running container (or pod) of a version."""

    version = models.ForeignKey(Version, models.CASCADE, related_name="instances")
    ordinal = models.PositiveIntegerField()
    name = models.CharField(max_length=128, unique=True)
    container_id = models.CharField(max_length=80, blank=True)
    host_port = models.PositiveIntegerField(null=True, blank=True)
    # The address host_port is reached on: loopback for Podman, the pod IP on Kubernetes.
    host_ip = models.CharField(max_length=45, default="127.0.0.1")
    status = models.CharField(max_length=20, choices=InstanceStatus.choices,
                              default=InstanceStatus.PENDING)
    ready = models.BooleanField(default=False)
    exit_code = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    cpu_percent = models.FloatField(null=True, blank=True)  # of the spec's CPU, last sample
    memory_bytes = models.BigIntegerField(null=True, blank=True)
    health_failures = models.PositiveSmallIntegerField(default=0)
    # Where log collection stopped, per source: {"stdout": [iso time, lines at it],
    # "/var/log/app/app.log": byte offset}; so each line is stored exactly once.
    log_cursors = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    stopped = models.DateTimeField(null=True, blank=True)

    objects = InstanceQuerySet.as_manager()

    class Meta:
        ordering = ["version_id", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["version", "ordinal"], name="instance_ordinal")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def name_for(version: Version, ordinal: int) -> str:
        """Deterministic, so a retried step finds the container it made before; built from
        ids, never from slugs or names, which may contain hyphens: tenant `acme` with
        service `corp-web` and tenant `acme-corp` with service `web` must not collide."""
        return f"h-t{version.tenant_id}-v{version.pk}-{ordinal}"


class VersionEvent(models.Model):
    """What happened to a version and when; failures carry the detailed error log."""

    class Level(models.TextChoices):
        INFO = "info", _("Info")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    version = models.ForeignKey(Version, models.CASCADE, related_name="events")
    created = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=40)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    # What happened as data (hosting/reasons.py); the text is made in the reader's
    # language. `message` keeps the English text (and is all that older rows have).
    code = models.CharField(max_length=60, blank=True)
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500)
    detail = models.TextField(blank=True)  # the error log: raw engine output, as data

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.version} {self.kind}: {self.message}"

    @property
    def text(self) -> str:
        """The event in the active language (the reader's)."""
        return reasons.render(self.code, self.params) if self.code else self.message
