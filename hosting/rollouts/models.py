"""The Rollout row: a gradual rollout's whole state, so whichever worker ticks next can
carry on where the last one stopped (nothing lives in a process's memory)."""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hosting import reasons


class RolloutState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE = {RolloutState.RUNNING, RolloutState.PAUSED}


class Rollout(models.Model):
    service = models.ForeignKey("hosting.Service", models.CASCADE, related_name="rollouts")
    version = models.ForeignKey("hosting.Version", models.CASCADE, related_name="rollouts")
    options = models.JSONField(default=dict)  # RolloutOptions.as_dict()
    # {"<version id>": percent} before the rollout began: the rollback target.
    previous_split = models.JSONField(default=dict)
    step_index = models.PositiveSmallIntegerField(default=0)
    step_started_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, choices=RolloutState.choices,
                             default=RolloutState.RUNNING, db_index=True)
    # Why it ended, as a code and parameters (hosting/reasons.py) read in the reader's
    # language; `reason` keeps the English text (and is all that older rows have).
    reason_code = models.CharField(max_length=60, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    # The router's counters: the last cumulative reading (to take deltas) and what the
    # current step has seen per version (hosting/rollouts/counters.py).
    counters = models.JSONField(default=dict, blank=True)
    # The previous versions' p95 from the last step where they had enough answers.
    baseline_p95_ms = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "hosting"
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["service"], condition=models.Q(state__in=["running", "paused"]),
            name="one_active_rollout_per_service")]

    def __str__(self) -> str:
        return f"rollout of {self.version_id} ({self.state})"

    @property
    def steps(self) -> list[int]:
        return list(self.options["steps"])

    @property
    def percent(self) -> int:
        return self.steps[self.step_index]

    @property
    def reason_text(self) -> str:
        """Why it ended, in the active language (the reader's)."""
        return reasons.render(self.reason_code, self.reason_params) if self.reason_code else self.reason

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE
