"""Deterministic object names, so a retried step finds what it made before.

Names come from database ids (never from user text alone), so two tenants can never
produce the same namespace or object name.
"""
from __future__ import annotations

import hashlib
import re

from django.conf import settings

PULL_SECRET_PREFIX = "pull-s"
ANNOTATION_HASH = "hosting.platform/spec-hash"
ANNOTATION_ISSUED = "hosting.platform/issued-at"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
CONTAINER = "app"


def prefix() -> str:
    return settings.KUBERNETES_NAMESPACE_PREFIX or settings.RUNTIME_NAMESPACE


def namespace(tenant_id: int) -> str:
    return f"{prefix()}-t{tenant_id}"


def deployment(version_id: int) -> str:
    return f"v{version_id}"


def env_secret(version_id: int) -> str:
    return f"v{version_id}-env"


def pull_secret(service_id: int) -> str:
    return f"{PULL_SECRET_PREFIX}{service_id}"


def writable_volume(path: str) -> str:
    """The emptyDir volume mounted at a writable path: a DNS label read from the path,
    plus a digest of it so /var/tmp and /var-tmp never share one; the same path always
    gives the same name, so the Deployment's spec hash stays put."""
    readable = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")[:40].rstrip("-")
    digest = hashlib.sha256(path.encode()).hexdigest()[:8]
    return f"rw-{readable}-{digest}" if readable else f"rw-{digest}"


def selector(labels: dict[str, str]) -> str:
    """A label selector string from equality terms."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
