"""What every tenant container may do, whatever the engine: engine-neutral rules.

The local backend turns these into Docker API host config, the Kubernetes backend into a
pod's securityContext; both start from the same answers so they cannot drift apart.
"""
from __future__ import annotations

import posixpath

from django.conf import settings

# The one capability a web app may need: binding a port below 1024 as uid 0 inside.
# Everything else (chown, setuid, raw sockets, ...) is dropped.
PRIVILEGED_PORT_CEILING = 1024
NET_BIND_SERVICE = "NET_BIND_SERVICE"


def capabilities_for(port: int) -> tuple[str, ...]:
    """Capabilities added back after dropping ALL: what the service port needs, and what
    the operator allows every app (RUNTIME_CAP_ADD, e.g. SETUID,SETGID for images that
    start as root and switch users; empty by default, as in Kubernetes' restricted
    profile)."""
    extra = [cap.upper().removeprefix("CAP_") for cap in settings.RUNTIME_CAP_ADD]
    if port < PRIVILEGED_PORT_CEILING:
        extra.append(NET_BIND_SERVICE)
    return tuple(dict.fromkeys(extra))


def pids_limit() -> int:
    """Processes (threads included) one instance may run: a fork bomb stays inside it."""
    return settings.RUNTIME_PIDS_LIMIT


def userns_mode() -> str:
    """'auto': uid 0 inside maps to an unprivileged host uid (needs /etc/subuid entries
    for the user `containers`); '' leaves the engine's default (documented in README)."""
    return settings.RUNTIME_USERNS


def read_only_root() -> bool:
    """The image's filesystem cannot be written: on an engine that cannot cap a
    container's writable layer (Podman overlay on ext4), that is what bounds disk."""
    return settings.RUNTIME_READ_ONLY_ROOT


def writable_paths(log_paths: list[str] | None) -> tuple[str, ...]:
    """Where a read-only container may still write (each a size-capped tmpfs): the
    operator's RUNTIME_WRITABLE_PATHS and the directory holding each log path (a log
    path may name a file or a directory, so its parent is the one that must be writable;
    never `/`)."""
    if not read_only_root():
        return ()
    parents = [posixpath.dirname(path.rstrip("/")) for path in log_paths or [] if path.startswith("/")]
    paths = [*settings.RUNTIME_WRITABLE_PATHS, *parents]
    return tuple(dict.fromkeys(p for p in paths if p and p != "/"))


def tmpfs_mib() -> int:
    return settings.RUNTIME_TMPFS_MIB


def log_max_mib() -> int:
    """What the engine keeps of an instance's stdout/stderr on the host's disk; the
    collector reads it every pass, so older lines are already stored when it is cut."""
    return settings.RUNTIME_LOG_MAX_MIB
