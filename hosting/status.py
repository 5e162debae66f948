"""Version and instance states, and the one table of allowed version transitions."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    CREATING = "creating", _("Creating")
    NORMAL = "normal", _("Normal")
    ABNORMAL = "abnormal", _("Abnormal")
    DEPLOY_FAILED = "deploy_failed", _("Deploy failed")
    SUSPENDED = "suspended", _("Suspended")
    ADJUSTING = "adjusting", _("Adjusting")
    DELETING = "deleting", _("Deleting")
    DELETED = "deleted", _("Deleted")


S = VersionStatus
TRANSITIONS: dict[str, set[str]] = {
    S.CREATING: {S.NORMAL, S.DEPLOY_FAILED, S.SUSPENDED, S.DELETING},
    # A normal version whose instances stop passing health checks becomes abnormal.
    S.NORMAL: {S.ABNORMAL, S.SUSPENDED, S.DELETING},
    S.ABNORMAL: {S.NORMAL, S.SUSPENDED, S.DELETING},
    # Redeploy of a failed version starts over.
    S.DEPLOY_FAILED: {S.CREATING, S.SUSPENDED, S.DELETING},
    # Arrears stop a tenant's versions; a recharge restores them through ADJUSTING.
    S.SUSPENDED: {S.ADJUSTING, S.DELETING},
    S.ADJUSTING: {S.NORMAL, S.ABNORMAL, S.DEPLOY_FAILED, S.SUSPENDED, S.DELETING},
    S.DELETING: {S.DELETED},
    S.DELETED: set(),
}
IN_PROGRESS = {S.CREATING, S.ADJUSTING, S.DELETING}
TERMINAL = {S.NORMAL, S.ABNORMAL, S.DEPLOY_FAILED, S.SUSPENDED, S.DELETED}
SERVING = {S.NORMAL, S.ABNORMAL}


class TransitionError(Exception):
    """A status change the lifecycle does not allow (the API answers 409)."""


def check_transition(current: str, new: str) -> None:
    if new != current and new not in TRANSITIONS[current]:
        raise TransitionError(f"A version cannot go from {current} to {new}.")


class InstanceStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    STARTING = "starting", _("Starting")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")
    STOPPED = "stopped", _("Stopped")
