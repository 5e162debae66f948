from hosting.models.catalog import Application, Project, Service
from hosting.models.tenancy import ApiToken, Membership, Tenant
from hosting.models.versions import Instance, TrafficPolicy, Version, VersionEvent

__all__ = ["ApiToken", "Application", "Instance", "Membership", "Project", "Service",
           "Tenant", "TrafficPolicy", "Version", "VersionEvent"]
