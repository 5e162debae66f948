"""List filters (django-filter). Ids are plain numbers, never validated against the
database: an id from another tenant filters to an empty list, exactly like one that
does not exist, so filters reveal nothing."""
import django_filters as filters
from django import forms

from hosting.models import Application, Instance, Project, Service, Version
from hosting.status import InstanceStatus, VersionStatus

ID_MAX = 2**63 - 1  # the largest id a bigint column holds


class IdField(forms.IntegerField):
    """A whole number that fits an id column: '-1e308' or 10**30 are a 400, not a 500
    (schema fuzzing found OverflowError in the database driver)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=ID_MAX, **kwargs)


class IdFilter(filters.NumberFilter):
    field_class = IdField


class ProjectFilter(filters.FilterSet):
    tenant = IdFilter(field_name="tenant_id")

    class Meta:
        model = Project
        fields = ["tenant"]


class ApplicationFilter(filters.FilterSet):
    tenant = IdFilter(field_name="tenant_id")
    project = IdFilter(field_name="project_id")

    class Meta:
        model = Application
        fields = ["tenant", "project"]


class ServiceFilter(filters.FilterSet):
    tenant = IdFilter(field_name="tenant_id")
    project = IdFilter(field_name="application__project_id")
    application = IdFilter(field_name="application_id")

    class Meta:
        model = Service
        fields = ["tenant", "project", "application", "name"]


class VersionFilter(filters.FilterSet):
    tenant = IdFilter(field_name="tenant_id")
    project = IdFilter(field_name="service__application__project_id")
    application = IdFilter(field_name="service__application_id")
    service = IdFilter(field_name="service_id")
    status = filters.MultipleChoiceFilter(choices=VersionStatus.choices,
                                          help_text="Repeat to match several statuses.")
    # Applied by the view (lists show live versions unless asked); declared for the docs.
    include_deleted = filters.BooleanFilter(method="keep", help_text="Also list deleted versions.")

    class Meta:
        model = Version
        fields = ["tenant", "project", "application", "service", "status", "include_deleted"]

    def keep(self, queryset, name, value):
        return queryset


class InstanceFilter(filters.FilterSet):
    version = IdFilter(field_name="version_id")
    service = IdFilter(field_name="version__service_id")
    status = filters.MultipleChoiceFilter(choices=InstanceStatus.choices)

    class Meta:
        model = Instance
        fields = ["version", "service", "status"]
