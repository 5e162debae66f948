"""Projects, applications and services: the tree a tenant's hosting lives in.

Each carries its tenant so every query can be scoped with one filter.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone

from hosting import rules
from hosting.models.tenancy import Tenant


class Project(models.Model):
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="projects")
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="project_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="applications")
    project = models.ForeignKey(Project, models.CASCADE, related_name="applications")
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="app_name_per_project")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.tenant_id = self.project.tenant_id
        super().save(*args, **kwargs)


class Service(models.Model):
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="services")
    application = models.ForeignKey(Application, models.CASCADE, related_name="services")
    name = models.CharField(max_length=rules.DNS_LABEL_MAX)
    description = models.CharField(max_length=200, blank=True)
    # The last sequence number handed out; only ever grows, so a deleted version's
    # number is never reused.
    last_sequence = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="service_name_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}/{self.name}"

    def clean(self) -> None:
        rules.check_dns_label(self.name)

    def save(self, *args, **kwargs) -> None:
        self.tenant_id = self.application.tenant_id
        super().save(*args, **kwargs)

    @property
    def repository(self) -> str:
        """The image repository bound to this service in the platform's registry."""
        return f"{self.tenant.slug}/{self.name}"

    @property
    def image_base(self) -> str:
        return f"{settings.REGISTRY_HOST}/{self.repository}"

    @property
    def host(self) -> str:
        return f"{self.name}.{self.tenant.slug}.{settings.APPS_DOMAIN}"
