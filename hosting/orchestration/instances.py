"""Starting and stopping one instance: the engine's container and its Instance row together.

Shared by the deploy pipeline and the reconcile loop. Both are idempotent: the container
name is deterministic, `ensure` returns an existing container, and stopping collects the
instance's last log lines before the container goes.
"""
from __future__ import annotations

import logging
import time

from django.utils import timezone

from hosting.models import Instance, Version
from hosting.orchestration import logs, phases
from hosting.reasons import Reason, reason
from hosting.runtimes import specs
from hosting.runtimes.base import Observed, Runtime
from hosting.status import InstanceStatus

log = logging.getLogger(__name__)
LAST_LINES = 20


def start(runtime: Runtime, version: Version, ordinal: int) -> tuple[Instance, Observed]:
    """Ensure the container for (version, ordinal) runs and its row says so."""
    spec = specs.instance_spec(version, ordinal)
    began = time.time()
    observed = runtime.ensure(spec)
    ended = time.time()
    instance, _created = Instance.objects.get_or_create(
        version=version, ordinal=ordinal, defaults={"name": spec.instance_name})
    fresh = instance.container_id != observed.id
    if fresh:  # a new container: fresh health and cursors
        instance.container_id = observed.id
        instance.ready = False
        instance.health_failures = 0
        instance.log_cursors = {}
        instance.cpu_percent = None
        instance.started = observed.started_at or timezone.now()
        instance.stopped = None
    instance.host_port = observed.host_port
    instance.host_ip = observed.host_ip
    instance.status = InstanceStatus.STARTING if observed.running else InstanceStatus.FAILED
    instance.exit_code = observed.exit_code
    instance.save()
    if fresh:
        phases.started(version, instance, observed, began, ended)
    return instance, observed


def stop(runtime: Runtime, version: Version | None, name: str, instance: Instance | None = None) -> None:
    """Collect the last logs, remove the container (`name`: as runtime.address gives
    it), drop the row."""
    if version is not None and instance is not None:
        try:
            logs.collect(runtime, version, instance, final=True)
        except Exception:  # logs are best effort; the container must still go
            log.exception("collecting the last logs of %s failed", name)
    runtime.remove(name)
    if instance is not None and instance.pk:
        instance.delete()


def engine_name(instance: Instance) -> str:
    return specs.container_name(instance.name)


def engine_ref(runtime: Runtime, instance: Instance) -> str:
    """How the runtime addresses the instance's container: by the id it recorded (local
    engine), so a foreign container given the same name is never read nor removed."""
    return runtime.address(engine_name(instance), instance.container_id)


def observed_ref(runtime: Runtime, observed: Observed) -> str:
    return runtime.address(observed.name, observed.id)


def describe_exit(runtime: Runtime, version: Version, observed: Observed) -> tuple[Reason, str]:
    """(why, detail) for an instance that stopped: exit code, OOM, last lines."""
    name = observed.labels.get(specs.LABEL_INSTANCE, "?")
    if observed.evicted:  # not an exit of its own: the exit code is the node's kill
        why = reason("failure.evicted", message=observed.evicted)
    elif observed.oom_killed:
        why = reason("failure.oom", memory_mib=version.memory_mib, exit_code=observed.exit_code)
    else:
        why = reason("failure.exited", exit_code=observed.exit_code, port=version.port)
    lines = [f"{line.stream}: {line.text}" for line in runtime.logs(observed_ref(runtime, observed), tail=LAST_LINES)]
    detail = "\n".join([  # the reason itself is shown above it, in the reader's language
        f"Instance: {observed.name} (ordinal {name})",
        f"Exit code: {observed.exit_code}{' (OOM killed)' if observed.oom_killed else ''}",
        *([f"Engine error: {observed.error}"] if observed.error else []),
        f"Last {LAST_LINES} log lines:" if lines else "It wrote nothing to stdout or stderr.",
        *lines[-LAST_LINES:],
    ])
    return why, detail
