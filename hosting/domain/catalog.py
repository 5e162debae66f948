"""Deleting projects, applications and services: never while versions remain under them.

Deleting the rows would cascade onto versions whose containers still run, leaving them
unmanaged; a version counts until its deletion has finished (status deleted).
"""
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from hosting.models import Version
from hosting.status import VersionStatus

_LOOKUPS = {"service": "service", "application": "service__application",
            "project": "service__application__project"}


class HasVersions(ValidationError):
    """The object still has versions (the API answers 409, the console explains)."""


def remaining_versions(obj: Model) -> QuerySet:
    lookup = _LOOKUPS[obj._meta.model_name]
    return Version.objects.filter(**{lookup: obj}).exclude(status=VersionStatus.DELETED)


def check_deletable(obj: Model) -> None:
    """Raise HasVersions while versions remain under `obj` (every surface asks this)."""
    count = remaining_versions(obj).count()
    if count:
        raise HasVersions(
            _("%(name)s still has %(n)d version(s); delete them (and let them finish "
              "deleting) first.") % {"name": obj, "n": count},
            code="has_versions",
        )


def delete_parent(obj: Model) -> None:
    check_deletable(obj)
    obj.delete()
