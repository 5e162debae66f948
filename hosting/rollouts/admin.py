"""Operators see every rollout in the admin, read-only: it is driven by the machine and
by the tenant's actions, never edited by hand."""
from django.contrib import admin

from hosting.models import Rollout


@admin.register(Rollout)
class RolloutAdmin(admin.ModelAdmin):
    list_display = ["version", "service", "state", "step_index", "step_started_at", "reason", "created"]
    list_filter = ["state"]
    search_fields = ["version__name", "service__name", "service__tenant__slug", "reason"]
    list_select_related = ["version", "service"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
