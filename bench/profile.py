"""Where a batch of deploys spent its wall time, from the platform's own records.

For each version: `queue` (created → its first recorded phase: the broker and a free
deploy worker), then the phases its instance start recorded (resolve, pull, create,
start, delay, health; hosting/orchestration/phases.py) and `normal` (ready → the status
turned normal: the next look of the deploy task). Printed on stderr as p50 / max per
phase, with when the batch's first create began and its last start ended (seconds
after the batch was created): the span in which the engine started every container.
"""
from __future__ import annotations

import statistics
import sys


def report(label: str, version_ids: list[int], began: float) -> None:
    from hosting.models import InstanceStart, Version

    spans: dict[str, list[float]] = {}
    creates, starts = [], []
    for version in Version.objects.filter(pk__in=version_ids):
        start = InstanceStart.objects.filter(version=version).order_by("started_at").first()
        if start is None or not start.phases:
            continue
        phases = {p["name"]: p for p in start.phases}
        first = min(p["began"] for p in start.phases)
        _add(spans, "queue", first - version.created.timestamp())
        for name, item in phases.items():
            _add(spans, name, item["ended"] - item["began"])
        if "health" in phases:
            _add(spans, "normal", version.status_changed.timestamp() - phases["health"]["ended"])
        if "create" in phases:
            creates.append(phases["create"]["began"] - began)
            starts.append(phases["start"]["ended"] - began)
    parts = [f"{name} {statistics.median(values):.2f}/{max(values):.2f}"
             for name, values in spans.items()]
    engine = (f"; creates began +{min(creates):.2f} s, last start ended +{max(starts):.2f} s"
              if creates else "")
    print(f"# profile {label} (p50/max s): {', '.join(parts)}{engine}", file=sys.stderr, flush=True)


def _add(spans: dict[str, list[float]], name: str, seconds: float) -> None:
    spans.setdefault(name, []).append(seconds)
