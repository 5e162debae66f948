"""List filters (django-filter). Ids are plain numbers, never validated against the
database: an id from another tenant filters to an empty list, exactly like one that
does not exist, so filters reveal nothing."""
import django_filters as filters

from hosting.models import Application, Instance, Project, Service, Version
from hosting.status import InstanceStatus, VersionStatus


class ProjectFilter(filters.FilterSet):
    tenant = filters.NumberFilter(field_name="tenant_id")

    class Meta:
        model = Project
        fields = ["tenant"]


class ApplicationFilter(filters.FilterSet):
    tenant = filters.NumberFilter(field_name="tenant_id")
    project = filters.NumberFilter(field_name="project_id")

    class Meta:
        model = Application
        fields = ["tenant", "project"]


class ServiceFilter(filters.FilterSet):
    tenant = filters.NumberFilter(field_name="tenant_id")
    project = filters.NumberFilter(field_name="application__project_id")
    application = filters.NumberFilter(field_name="application_id")

    class Meta:
        model = Service
        fields = ["tenant", "project", "application", "name"]


class VersionFilter(filters.FilterSet):
    tenant = filters.NumberFilter(field_name="tenant_id")
    project = filters.NumberFilter(field_name="service__application__project_id")
    application = filters.NumberFilter(field_name="service__application_id")
    service = filters.NumberFilter(field_name="service_id")
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
    version = filters.NumberFilter(field_name="version_id")
    service = filters.NumberFilter(field_name="version__service_id")
    status = filters.MultipleChoiceFilter(choices=InstanceStatus.choices)

    class Meta:
        model = Instance
        fields = ["version", "service", "status"]
