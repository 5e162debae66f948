"""Where the p50 cold start spent its time: `cold_start_phase_<name>_p50` per phase.

The phases of the one cold start at the p50 (not per-phase medians: those need not add
up to anything), then `cold_start_phase_sum` (its phases added up) with, as its ratio,
that sum over the start's measured total (client side: request sent → answer); within
0.9–1.1 means the phases account for the whole cold start.
"""
from __future__ import annotations

import math
import time

RECORD_WAIT_SECONDS = 30


def recorded(version_id: int, count: int) -> list[dict]:
    """The phases of the version's `count`-th cold start, once the activator reported it
    (it does so after the response, so wait with a bound)."""
    from hosting.models import InstanceStart

    deadline = time.monotonic() + RECORD_WAIT_SECONDS
    while True:
        starts = list(InstanceStart.objects.filter(version_id=version_id, kind="cold")
                      .order_by("started_at", "id"))
        if len(starts) >= count:
            return starts[count - 1].phases
        if time.monotonic() > deadline:
            raise RuntimeError(f"cold start {count} of version {version_id} was not recorded "
                               f"within {RECORD_WAIT_SECONDS} s")
        time.sleep(0.02)


def figures(cold: list[tuple[float, list[dict]]]) -> list[tuple[str, float, str, float | None]]:
    """cold: (measured seconds, phases) per cold start."""
    from hosting.orchestration.phases import durations

    ordered = sorted(cold, key=lambda item: item[0])
    measured, phases = ordered[max(0, math.ceil(0.5 * len(ordered)) - 1)]
    spans = durations(phases)
    rows = [(f"cold_start_phase_{name}_p50", seconds, "s", None) for name, seconds in spans.items()]
    whole = sum(spans.values())
    return [*rows, ("cold_start_phase_sum", whole, "s", whole / measured if measured else None)]
