"""Django admin for operators: every model, searchable and filterable, tenant visible."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hosting.domain import billing
from hosting.models import (
    ApiToken,
    Application,
    Instance,
    InstanceStart,
    Membership,
    Project,
    Service,
    Tenant,
    Version,
    VersionEvent,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "kind", "billing_status", "created"]
    list_filter = ["kind", "billing_status"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]
    actions = ["suspend_for_arrears", "recharge"]
    # Billing moves through the actions, which stop and restore versions with it.
    readonly_fields = ["billing_status"]

    @admin.action(description=_("Suspend for arrears"), permissions=["change"])
    def suspend_for_arrears(self, request, queryset) -> None:
        counts = [billing.suspend_for_arrears(tenant) for tenant in queryset]
        self.message_user(request, ngettext(
            "%(tenants)d tenant suspended for arrears; %(versions)d version stopped.",
            "%(tenants)d tenant(s) suspended for arrears; %(versions)d versions stopped.",
            sum(counts)) % {"tenants": len(counts), "versions": sum(counts)}, messages.SUCCESS)

    @admin.action(description=_("Recharge and restore versions"), permissions=["change"])
    def recharge(self, request, queryset) -> None:
        counts = [billing.recharge(tenant) for tenant in queryset]
        self.message_user(request, ngettext(
            "%(tenants)d tenant recharged; %(versions)d version is being restored.",
            "%(tenants)d tenant(s) recharged; %(versions)d versions are being restored.",
            sum(counts)) % {"tenants": len(counts), "versions": sum(counts)}, messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created", "last_used", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used"]


class ApplicationInline(admin.TabularInline):
    model = Application
    extra = 0
    fields = ["name", "description"]
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "created"]
    list_filter = ["tenant"]
    search_fields = ["name", "tenant__slug"]
    inlines = [ApplicationInline]


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["name", "description"]
    show_change_link = True


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "tenant", "created"]
    list_filter = ["tenant"]
    search_fields = ["name", "project__name", "tenant__slug"]
    readonly_fields = ["tenant"]
    inlines = [ServiceInline]


class VersionInline(admin.TabularInline):
    model = Version
    extra = 0
    fields = ["name", "status", "traffic_percent", "image_tag", "created"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # versions are created through the wizard's rules, not inline


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "application", "last_sequence", "created"]
    list_filter = ["tenant"]
    search_fields = ["name", "tenant__slug", "application__name"]
    readonly_fields = ["tenant", "last_sequence", "repository"]
    inlines = [VersionInline]


class InstanceInline(admin.TabularInline):
    model = Instance
    extra = 0
    fields = ["name", "status", "ready", "host_port", "container_id", "started"]
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = VersionEvent
    extra = 0
    fields = ["created", "level", "kind", "message"]
    readonly_fields = fields
    can_delete = False


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "service", "status", "traffic_percent",
                    "desired_instances", "saturated", "created", "deleted_at"]
    list_filter = ["status", "traffic_policy", "saturated", "tenant"]
    search_fields = ["name", "service__name", "tenant__slug", "image_tag", "image_digest"]
    readonly_fields = ["tenant", "service", "name", "sequence", "image_tag", "image_digest",
                       "port", "traffic_policy", "resource_spec", "cpu_millis", "memory_mib",
                       "min_replicas", "max_replicas", "cpu_target", "log_paths",
                       "initial_delay_seconds", "env", "created", "created_by", "deleted_at",
                       "idempotency_key", "status_changed"]
    inlines = [InstanceInline, EventInline]

    def has_add_permission(self, request) -> bool:
        return False  # created through the wizard or the API so every rule applies


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "status", "ready", "host_port", "created"]
    list_filter = ["status", "ready"]
    search_fields = ["name", "container_id", "version__name"]
    readonly_fields = ["version", "ordinal", "name"]


@admin.register(InstanceStart)
class InstanceStartAdmin(admin.ModelAdmin):
    """Read only: the platform records starts (hosting/orchestration/phases.py)."""

    list_display = ["started_at", "instance_name", "version", "kind"]
    list_filter = ["kind"]
    search_fields = ["instance_name", "container_id", "version__name"]
    readonly_fields = ["version", "ordinal", "instance_name", "container_id", "kind",
                       "started_at", "phases"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(VersionEvent)
class VersionEventAdmin(admin.ModelAdmin):
    list_display = ["created", "version", "level", "kind", "message"]
    list_filter = ["level", "kind"]
    search_fields = ["version__name", "message", "detail"]
    readonly_fields = ["version", "created", "kind", "level", "message", "detail"]
