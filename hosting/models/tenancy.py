"""Tenants (the seed's instances), memberships with roles, and API tokens."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hosting import rules


class Tenant(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public instance")
        ENTERPRISE = "enterprise", _("Standard enterprise instance")

    class Billing(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARREARS = "arrears", _("Suspended for arrears")

    slug = models.SlugField(max_length=rules.DNS_LABEL_MAX, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PUBLIC)
    billing_status = models.CharField(max_length=20, choices=Billing.choices, default=Billing.ACTIVE)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        rules.check_dns_label(self.slug, "slug")


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        DEVELOPER = "developer", _("Developer")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.DEVELOPER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def can_change(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.DEVELOPER}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, key: str):
        """The active token with this key, or None. Only a hash is stored."""
        return self.filter(key_hash=_hash(key), revoked=None).select_related("user").first()


class ApiToken(models.Model):
    """A user's API token: the key is shown once; we keep its prefix and a hash."""

    PREFIX_LEN = 8

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=PREFIX_LEN, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @classmethod
    def issue(cls, user, name: str = "default") -> tuple["ApiToken", str]:
        key = secrets.token_hex(20)
        token = cls.objects.create(user=user, name=name, prefix=key[: cls.PREFIX_LEN],
                                   key_hash=_hash(key))
        return token, key

    def revoke(self) -> None:
        """Stop the token working (console and API both revoke through this); idempotent."""
        if self.revoked is None:
            self.revoked = timezone.now()
            self.save(update_fields=["revoked"])
