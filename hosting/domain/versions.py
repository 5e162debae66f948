"""Creating and deleting versions: the rules on names, sequences and the 10-version cap.

Both run in one transaction that first locks the service row. On PostgreSQL that is
`SELECT ... FOR UPDATE`; on SQLite the connection opens every transaction IMMEDIATE
(see settings), which takes the database's write lock up front: either way two
concurrent creations are serialised, so names stay unique and the cap stays exact.
"""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hosting import enqueue, rules
from hosting.domain import billing
from hosting.domain.config import VersionConfig, validate_config
from hosting.models import Service, Tenant, Version
from hosting.reasons import reason
from hosting.status import VersionStatus


class VersionLimitReached(ValidationError):
    """The service already has the maximum number of versions (the API answers 409)."""


def live_version_count(service: Service) -> int:
    return service.versions.live().count()


def starting_config(service: Service) -> VersionConfig:
    """A new version's starting config, for the wizard and the API alike: the latest
    live version's config (a change is a new version), or the product defaults for a
    first one. The image tag and the description are the new version's own: neither
    carries over."""
    latest = service.versions.live().order_by("-sequence").first()
    config = VersionConfig.from_version(latest) if latest else VersionConfig()
    config.image_tag, config.description = "", ""
    return config


def create_version(service: Service, config: VersionConfig, user=None,
                   idempotency_key: str = "") -> Version:
    """Validate, number and save a new version, then enqueue its deploy after commit."""
    validate_config(config)
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        if idempotency_key:
            existing = locked.versions.filter(idempotency_key=idempotency_key).first()
            if existing:
                return existing
        # Locking the tenant serialises this with billing.suspend_for_arrears, so no
        # version is created behind a suspension's back.
        billing.check_active(Tenant.objects.select_for_update().get(pk=locked.tenant_id))
        if live_version_count(locked) >= rules.MAX_VERSIONS_PER_SERVICE:
            raise VersionLimitReached(
                _("The service %(service)s already has %(max)d versions, the most a service "
                  "may have at once; delete one before creating another.")
                % {"service": locked.name, "max": rules.MAX_VERSIONS_PER_SERVICE},
                code="version_limit",
            )
        locked.last_sequence += 1
        locked.save(update_fields=["last_sequence"])
        version = Version.objects.create(
            tenant_id=locked.tenant_id, service=locked, sequence=locked.last_sequence,
            name=rules.version_name(locked.name, locked.last_sequence),
            created_by=user, idempotency_key=idempotency_key, **config.as_model_fields(),
        )
        version.record("created", reason("version.created", name=version.name))
        enqueue.deploy(version.pk)
    return version


class VersionHoldsTraffic(ValidationError):
    """Deleting would drop traffic that other versions could take (the API answers 409)."""


def delete_version(version: Version, user=None) -> Version:
    """Free the version's slot now; a worker removes its instances. Events are kept."""
    with transaction.atomic():
        version = Version.objects.select_for_update().get(pk=version.pk)
        if not version.is_live:
            return version
        others = version.service.versions.live().exclude(pk=version.pk)
        if version.traffic_percent > 0 and others.filter(status=VersionStatus.NORMAL).exists():
            raise VersionHoldsTraffic(
                _("%(name)s still receives %(pct)d%% of the traffic; move its traffic to "
                  "another version first.") % {"name": version.name, "pct": version.traffic_percent},
                code="holds_traffic",
            )
        version.set_status(VersionStatus.DELETING, reason("version.deleting"),
                           deleted_at=timezone.now(), traffic_percent=0, desired_instances=0)
        enqueue.delete(version.pk)
    return version


class NotRedeployable(ValidationError):
    """Only a failed version can be redeployed (the API answers 409)."""


def redeploy(version: Version) -> Version:
    """Start a failed version's deploy over, with the same immutable config."""
    with transaction.atomic():
        # Tenant first, then version: the order billing.suspend_for_arrears locks them in.
        billing.check_active(Tenant.objects.select_for_update().get(pk=version.tenant_id))
        version = Version.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DEPLOY_FAILED or not version.is_live:
            raise NotRedeployable(
                _("Only a version whose deploy failed can be redeployed; %(name)s is %(status)s.")
                % {"name": version.name, "status": version.get_status_display()},
                code="not_redeployable",
            )
        version.set_status(VersionStatus.CREATING, reason("version.redeploy"), next_check_at=None)
        enqueue.deploy(version.pk)
    return version

