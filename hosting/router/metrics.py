"""Request metrics per version from HAProxy's stats, sampled on a beat tick.

HAProxy keeps cumulative counters per server; every server slot belongs to one version
(`v<id>_<n>`, `v<id>_act`), in its service backend and its preview backend. A sample
stores the deltas since the previous sample (kept in a small JSON file beside the
config), so a reload, which starts a worker with fresh counters, only shortens one
interval. Rows older than METRICS_RETENTION_HOURS are trimmed: a rolling window.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Avg
from django.utils import timezone

from hosting.models import Instance, MetricSample, Version
from hosting.router import haproxy
from hosting.router.converge import locked, paths

COUNTERS = ("req_tot", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx")
SLOT = re.compile(r"v(\d+)_(?:\d+|act)")


@dataclass
class Totals:
    requests: int = 0
    responses_2xx: int = 0
    responses_4xx: int = 0
    responses_5xx: int = 0
    time_weighted: float = 0.0  # sum of rtime x requests, for a weighted mean
    slots: dict = field(default_factory=dict)

    @property
    def response_ms(self) -> float | None:
        return self.time_weighted / self.requests if self.requests else None


def number(value: str) -> int:
    return int(value) if value and value.isdigit() else 0


def read_counters(rows: list[dict]) -> dict[str, tuple[int, int, list[int]]]:
    """{"backend/server": (version id, rtime ms, [req, 2xx, 4xx, 5xx])} for version slots."""
    result = {}
    for row in rows:
        match = SLOT.fullmatch(row.get("svname", ""))
        if match and row.get("pxname", "").startswith(("svc_", "ver_")):
            result[f"{row['pxname']}/{row['svname']}"] = (
                int(match.group(1)), number(row.get("rtime", "")), [number(row[c]) for c in COUNTERS])
    return result


def deltas(current: dict, previous: dict, same_process: bool) -> dict[int, Totals]:
    """Per version: counters grown since `previous`; a counter that shrank was reset."""
    totals: dict[int, Totals] = {}
    for key, (version_id, rtime, values) in current.items():
        before = (previous.get(key) if same_process else None) or [0] * len(values)
        grown = [v - b if v >= b else v for v, b in zip(values, before, strict=True)]
        t = totals.setdefault(version_id, Totals())
        t.requests += grown[0]
        t.responses_2xx += grown[1]
        t.responses_4xx += grown[2]
        t.responses_5xx += grown[3]
        t.time_weighted += rtime * grown[0]
    return totals


def state_file() -> Path:
    return paths().directory / "stats-last.json"


def load_previous() -> dict:
    try:
        return json.loads(state_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def sample(now=None) -> dict[int, Totals]:
    """Take one sample; returns the per-version totals (empty when HAProxy is down)."""
    now = now or timezone.now()
    p = paths()
    with locked(p):
        try:
            pid = haproxy.info(p).get("Pid", "")
            rows = haproxy.stats(p)
        except (haproxy.HAProxyDown, OSError):
            return {}
        previous = load_previous()
        current = read_counters(rows)
        totals = deltas(current, {k: v[2] for k, v in previous.get("counters", {}).items()},
                        previous.get("pid") == pid)
        state_file().write_text(json.dumps({"pid": pid, "time": now.timestamp(),
                                            "counters": current}))
    interval = now.timestamp() - previous["time"] if "time" in previous else 0.0
    store(totals, now, interval)
    trim(now)
    return totals


def store(totals: dict[int, Totals], now, interval: float) -> None:
    live = set(Version.objects.live().filter(pk__in=totals).values_list("pk", flat=True))
    samples = []
    for version_id in live:
        t = totals[version_id]
        ready = Instance.objects.filter(version_id=version_id, ready=True)
        count = ready.count()
        if not t.requests and not count:
            continue  # a sleeping version with no traffic: nothing worth a row
        samples.append(MetricSample(
            version_id=version_id, timestamp=now, interval_seconds=interval,
            requests=t.requests, responses_2xx=t.responses_2xx, responses_4xx=t.responses_4xx,
            responses_5xx=t.responses_5xx, response_ms=t.response_ms, instances=count,
            cpu_percent=ready.aggregate(avg=Avg("cpu_percent"))["avg"]))
        if t.requests:
            Version.objects.filter(pk=version_id).update(last_request=now)
    MetricSample.objects.bulk_create(samples)


def trim(now) -> int:
    cutoff = now - timedelta(hours=settings.METRICS_RETENTION_HOURS)
    return MetricSample.objects.filter(timestamp__lt=cutoff).delete()[0]
