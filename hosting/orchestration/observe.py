"""Usage and log collection, kept out of the reconcile pass and spread over ticks.

Reading an instance's stats and logs costs several engine calls, so doing it for every
instance on every reconcile pass made the pass grow with the fleet. Here each instance
has its turn every OBSERVE_INTERVAL_SECONDS (staggered from a random start, so the
fleet's work is spread evenly over the ticks), except the CPU of versions that receive
traffic: the autoscaler judges those, so they are sampled on every tick.
"""
from __future__ import annotations

import logging

from django.conf import settings

from hosting import runtimes
from hosting.models import Instance
from hosting.orchestration import logs
from hosting.orchestration.turns import Turns
from hosting.runtimes import specs
from hosting.runtimes.base import Runtime, RuntimeFailure
from hosting.status import SERVING

log = logging.getLogger(__name__)
turns = Turns()  # each instance's logs and memory, once per OBSERVE_INTERVAL_SECONDS


def collect(everything: bool = False) -> int:
    """Sample usage and collect logs of the instances whose turn came (all of them with
    `everything`); returns how many instances were looked at."""
    runtime = runtimes.get_runtime()
    rows = (Instance.objects.filter(version__deleted_at__isnull=True,
                                    version__status__in=SERVING)
            .exclude(container_id="").select_related("version__service__tenant"))
    seen = 0
    for row in rows:
        full = everything or turns.came(row.pk, settings.OBSERVE_INTERVAL_SECONDS)
        if not full and row.version.traffic_percent == 0:
            continue
        seen += 1
        _sample(runtime, row)
        if full:
            turns.took(row.pk)
            try:
                logs.collect(runtime, row.version, row)
            except RuntimeFailure:
                log.exception("collecting logs of %s failed", row.name)
    return seen


def _sample(runtime: Runtime, row: Instance) -> None:
    """CPU (of the spec's CPU) and memory of one instance."""
    usage = runtime.stats(runtime.address(specs.container_name(row.name), row.container_id))
    if usage is None:
        return
    fields = {"memory_bytes": usage.memory_bytes}
    spec_cores = row.version.cpu_millis / 1000
    if usage.cpu_cores >= 0 and spec_cores:
        fields["cpu_percent"] = round(usage.cpu_cores / spec_cores * 100, 1)
    Instance.objects.filter(pk=row.pk).update(**fields)
    for name, value in fields.items():
        setattr(row, name, value)
