"""Django admin for operators: every model, searchable and filterable, tenant visible.

It goes through the domain like the console and the API: what the platform controls
(status, traffic share, desired instances, saturation) is read-only here, deleting a
project, application or service that still has versions is refused with the domain's
message, and versions are deleted or redeployed by actions that call the domain.
"""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hosting.domain import billing, catalog, quotas
from hosting.domain import versions as version_rules
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
from hosting.status import VersionStatus


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
        counts = []
        for tenant in queryset:
            try:
                counts.append(billing.recharge(tenant))
            except quotas.QuotaExceeded as exc:  # nothing of this tenant changed
                self.message_user(request, exc.messages[0], messages.ERROR)
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


class GuardedDeleteAdmin(admin.ModelAdmin):
    """Deleting goes through hosting.domain.catalog.delete_parent: refused (with its
    message) while versions remain under the object, in the page and in the bulk action."""

    actions = ["delete_checked"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would cascade past the domain's rule
        return actions

    @admin.action(description=_("Delete selected (refused while versions remain)"),
                  permissions=["delete"])
    def delete_checked(self, request, queryset) -> None:
        self.delete_queryset(request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and not self._deletable(request, obj):
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                                args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj) -> None:
        catalog.delete_parent(obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            if self._deletable(request, obj):
                catalog.delete_parent(obj)

    def _deletable(self, request, obj) -> bool:
        try:
            catalog.check_deletable(obj)
        except catalog.HasVersions as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return False
        return True


@admin.register(Project)
class ProjectAdmin(GuardedDeleteAdmin):
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
class ApplicationAdmin(GuardedDeleteAdmin):
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
class ServiceAdmin(GuardedDeleteAdmin):
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
    list_display = ["name", "tenant", "service", "status", "traffic_percent", "running_instances",
                    "desired_instances", "saturated", "created", "deleted_at"]
    list_filter = ["status", "traffic_policy", "saturated", "tenant"]
    search_fields = ["name", "service__name", "tenant__slug", "image_tag", "image_digest"]
    readonly_fields = ["tenant", "service", "name", "sequence", "image_tag", "image_digest",
                       "port", "traffic_policy", "resource_spec", "cpu_millis", "memory_mib",
                       "min_replicas", "max_replicas", "cpu_target", "log_paths",
                       "initial_delay_seconds", "env", "created", "created_by", "deleted_at",
                       "idempotency_key", "status_changed",
                       # The platform's to control: traffic through the service's split,
                       # instances through the autoscaler, status through the pipeline.
                       "status", "traffic_percent", "desired_instances", "saturated",
                       "last_scaled", "last_request"]
    inlines = [InstanceInline, EventInline]
    actions = ["delete_versions", "redeploy_versions"]

    def has_add_permission(self, request) -> bool:
        return False  # created through the wizard or the API so every rule applies

    def get_queryset(self, request):
        return super().get_queryset(request).with_running_instances()

    @admin.display(description=_("Running instances"), ordering="instances_running")
    def running_instances(self, obj) -> int:
        return obj.instances_running

    def has_delete_permission(self, request, obj=None) -> bool:
        # Versions are deleted by the action below (the domain's rules); only the row of a
        # version whose deletion finished may go, with its service.
        return obj is not None and obj.status == VersionStatus.DELETED

    @admin.action(description=_("Delete versions (instances removed by the worker)"),
                  permissions=["change"])
    def delete_versions(self, request, queryset) -> None:
        self._each(request, queryset, version_rules.delete_version, _("Deletion requested for"))

    @admin.action(description=_("Redeploy failed versions"), permissions=["change"])
    def redeploy_versions(self, request, queryset) -> None:
        self._each(request, queryset, version_rules.redeploy, _("Redeploy requested for"))

    def _each(self, request, queryset, action, done) -> None:
        succeeded = []
        for version in queryset:
            try:
                action(version)
                succeeded.append(version.name)
            except ValidationError as exc:
                self.message_user(request, f"{version.name}: {' '.join(exc.messages)}", messages.ERROR)
        if succeeded:
            self.message_user(request, f"{done} {', '.join(succeeded)}.", messages.SUCCESS)


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

from hosting.rollouts import admin as rollouts_admin  # noqa: E402,F401 (registers Rollout)


def _admin_login_form():
    from console.forms import AdminLoginForm  # console imports hosting: resolve late

    return AdminLoginForm


admin.site.login_form = _admin_login_form()
