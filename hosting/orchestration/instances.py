"""Starting and stopping one instance: the engine's container and its Instance row together.

Shared by the deploy pipeline and the reconcile loop. Both are idempotent: the container
name is deterministic, `ensure` returns an existing container, and stopping collects the
instance's last log lines before the container goes.
"""
from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

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
    """Ensure the container for (version, ordinal) runs and its row says so. An engine
    that starts asynchronously may answer "not yet": the row is then PENDING since the
    moment the start began (`created`), and the caller calls again later."""
    spec = specs.instance_spec(version, ordinal)
    began = time.time()
    observed = runtime.ensure(spec)
    ended = time.time()
    instance, new = Instance.objects.get_or_create(
        version=version, ordinal=ordinal, defaults={"name": spec.instance_name})
    waited = not new and instance.status == InstanceStatus.PENDING
    if observed.starting:
        _pending(instance, observed, began, waited)
        return instance, observed
    fresh = waited or instance.container_id != observed.id
    if waited:  # its start began when it was first asked for, not in this call (and its
        began = min(began, instance.created.timestamp())  # row was reset then)
    elif fresh:  # a new container: fresh health and cursors
        _reset(instance)
    if fresh:
        instance.container_id = observed.id
        instance.started = observed.started_at or timezone.now()
    instance.host_port = observed.host_port
    instance.host_ip = observed.host_ip
    instance.status = InstanceStatus.STARTING if observed.running else InstanceStatus.FAILED
    instance.exit_code = observed.exit_code
    instance.save()
    if fresh:
        phases.started(version, instance, observed, began, ended)
    return instance, observed


def _pending(instance: Instance, observed: Observed, began: float, waited: bool) -> None:
    """Not running yet: the row waits, and remembers when its start began (the first
    call), so the start's create and start phases count from there. A row that waited for
    another pod (removed when its start failed) begins a new start."""
    if not waited or instance.container_id not in {"", observed.id}:
        _reset(instance)
        instance.created = datetime.fromtimestamp(began, UTC)
    instance.container_id = observed.id
    instance.host_port, instance.host_ip = observed.host_port, observed.host_ip
    instance.status, instance.exit_code = InstanceStatus.PENDING, None
    instance.save()


def _reset(instance: Instance) -> None:
    instance.ready = False
    instance.health_failures = 0
    instance.log_cursors = {}
    instance.cpu_percent = None
    instance.started = None
    instance.stopped = None


def pending(instance: Instance) -> bool:
    """Its start was asked for and has not run yet (see start)."""
    return instance.status == InstanceStatus.PENDING


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
