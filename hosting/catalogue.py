"""The catalogue of per-instance resource specs a version may choose from.

Kept in code, not in the database: a spec's numbers are copied onto the version when it
is created, so changing the catalogue never changes a running version.
"""
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ResourceSpec:
    key: str
    cpu_millis: int
    memory_mib: int

    @property
    def label(self) -> str:
        cpu = self.cpu_millis / 1000
        mem = self.memory_mib / 1024
        return f"{cpu:g} CPU / {mem:g} GiB"


SPECS = [
    ResourceSpec("c0.25-m0.5", 250, 512),
    ResourceSpec("c0.5-m1", 500, 1024),
    ResourceSpec("c1-m2", 1000, 2048),
    ResourceSpec("c2-m4", 2000, 4096),
    ResourceSpec("c4-m8", 4000, 8192),
]
DEFAULT_SPEC = "c0.5-m1"
BY_KEY = {spec.key: spec for spec in SPECS}
CHOICES = [(spec.key, spec.label) for spec in SPECS]


def get_spec(key: str) -> ResourceSpec:
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValidationError(
            {"resource_spec": _("resource_spec must be one of: %(keys)s.")
             % {"keys": ", ".join(BY_KEY)}}
        )
