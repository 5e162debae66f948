from hosting.models.catalog import Application, Project, Service
from hosting.models.observations import LogEntry, MetricSample
from hosting.models.starts import InstanceStart
from hosting.models.tenancy import ApiToken, Membership, Tenant
from hosting.models.versions import Instance, TrafficPolicy, Version, VersionEvent
from hosting.rollouts.models import Rollout, RolloutState  # noqa: E402 (needs Version first)

__all__ = ["ApiToken", "Application", "Instance", "InstanceStart", "LogEntry", "Membership", "MetricSample", "Project", "Rollout",
           "RolloutState", "Service",
           "Tenant", "TrafficPolicy", "Version", "VersionEvent"]
