"""What the platform observes of running versions: log lines and metric samples.

Both are append-only and trimmed by age (LOG_RETENTION_DAYS, METRICS_RETENTION_HOURS),
so they outlive the instances they came from.
"""
from django.db import models
from django.utils import timezone

from hosting.models.versions import Version


class LogEntry(models.Model):
    """One line an instance wrote to stdout/stderr or to one of its log paths."""

    version = models.ForeignKey(Version, models.CASCADE, related_name="log_entries")
    instance_name = models.CharField(max_length=128, db_index=True)
    source = models.CharField(max_length=255, default="stdout")  # "stdout", "stderr" or a path
    timestamp = models.DateTimeField(default=timezone.now)
    line = models.TextField()

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["version", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.instance_name} {self.source}: {self.line[:60]}"


class MetricSample(models.Model):
    """A version's request and CPU figures over one sampling interval (a rolling window)."""

    version = models.ForeignKey(Version, models.CASCADE, related_name="metric_samples")
    timestamp = models.DateTimeField(default=timezone.now)
    interval_seconds = models.FloatField(default=0)
    requests = models.PositiveIntegerField(default=0)
    responses_2xx = models.PositiveIntegerField(default=0)
    responses_4xx = models.PositiveIntegerField(default=0)
    responses_5xx = models.PositiveIntegerField(default=0)
    response_ms = models.FloatField(null=True, blank=True)
    cpu_percent = models.FloatField(null=True, blank=True)  # of the spec's CPU, averaged
    instances = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["version", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.version} @ {self.timestamp:%H:%M:%S}: {self.requests} req"
