"""One row per instance start, kept after the instance is gone (scale to zero deletes
Instance rows, and a cold start is exactly the start that follows).

`phases` is an ordered list of {name, began, ended, detail}: began/ended are Unix
seconds (float) because the activator, the worker and web are different processes and
only the wall clock is shared between them. See hosting/orchestration/phases.py.
"""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hosting.models.versions import Version


class InstanceStart(models.Model):
    class Kind(models.TextChoices):
        DEPLOY = "deploy", _("Deploy")
        SCALE = "scale", _("Scale-up or replacement")
        COLD = "cold", _("Cold start")

    version = models.ForeignKey(Version, models.CASCADE, related_name="starts")
    ordinal = models.PositiveIntegerField()
    instance_name = models.CharField(max_length=128)
    # The engine's id of the container (or pod) started: one start, one row, however
    # many workers saw it happen.
    container_id = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCALE)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    phases = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["version", "started_at"], name="start_version_time")]

    def __str__(self) -> str:
        return f"{self.instance_name} {self.kind} start"
