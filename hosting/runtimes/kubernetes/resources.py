"""Quantities in Kubernetes notation from the platform's numbers, and back."""
from __future__ import annotations

import re

_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9,
           "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")


def cpu(millis: int) -> str:
    return f"{millis}m"


def memory(mib: int) -> str:
    return f"{mib}Mi"


def requests_for(cpu_millis: int, memory_mib: int, overcommit: int) -> dict[str, str]:
    """Requests are the limits divided by the overcommit factor (at least 1m / 1 MiB), so
    a small node schedules as many idle instances as the platform admits; the limits
    stay what the user chose."""
    factor = max(overcommit, 1)
    return {"cpu": cpu(max(cpu_millis // factor, 1)), "memory": memory(max(memory_mib // factor, 1))}


def limits_for(cpu_millis: int, memory_mib: int) -> dict[str, str]:
    return {"cpu": cpu(cpu_millis), "memory": memory(memory_mib)}


def parse(quantity: str) -> float:
    """'250m' -> 0.25, '1Gi' -> 1073741824.0; raises ValueError naming the value."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"Not a Kubernetes quantity: {quantity!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def with_disk(box: dict[str, dict[str, str]], limit_mib: int, overcommit: int) -> dict:
    """`box` (limits and requests) plus ephemeral storage: the limit the kubelet evicts
    at, requested like memory (divided by the overcommit); unchanged when limit_mib is 0."""
    if limit_mib <= 0:
        return box
    request = memory(max(limit_mib // max(overcommit, 1), 1))
    return {"limits": {**box["limits"], "ephemeral-storage": memory(limit_mib)},
            "requests": {**box["requests"], "ephemeral-storage": request}}
