"""Runtime backends behind one interface (base.Runtime), chosen by settings.RUNTIME_BACKEND.

`local` drives the Docker Engine API (Podman's socket or Docker); `kubernetes` a cluster
through its API (settings.KUBECONFIG); `memory` is for unit tests. One instance per process and engine address, so per-process state (the previous
CPU sample of each container) survives between reconcile ticks.
"""
from __future__ import annotations

from django.conf import settings

from hosting.runtimes.base import Runtime

_cache: dict[tuple[str, str], Runtime] = {}
_override: Runtime | None = None


def get_runtime() -> Runtime:
    if _override is not None:
        return _override
    backend = settings.RUNTIME_BACKEND
    key = (backend, settings.KUBECONFIG if backend == "kubernetes" else settings.DOCKER_HOST)
    if key not in _cache:
        _cache[key] = _build(backend)
    return _cache[key]


def _build(backend: str) -> Runtime:
    if backend == "local":
        from hosting.runtimes.local import LocalRuntime

        return LocalRuntime(settings.DOCKER_HOST)
    if backend == "kubernetes":
        from hosting.runtimes.kubernetes.runtime import KubernetesRuntime

        return KubernetesRuntime()
    if backend == "memory":
        from hosting.runtimes.memory import MemoryRuntime

        return MemoryRuntime()
    raise ValueError(f"Unknown RUNTIME_BACKEND {backend!r} (choose local, kubernetes or memory).")


def override(runtime: Runtime | None) -> None:
    """Tests: make get_runtime() return `runtime` (None restores the setting's choice)."""
    global _override
    _override = runtime
