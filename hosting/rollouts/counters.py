"""What the router counted for each version of a service since the rollout's step began.

Two sources, both on HAProxy's stats socket, read on every tick:
- `show stat`: cumulative answers by class per server slot (`v<id>_<n>`) of the
  service's backend; the step keeps the deltas (a reload, i.e. a new HAProxy pid, starts
  counters at 0, so a shrunk counter counts from 0, as in hosting/router/metrics.py);
- `show events timings`: one line per request (render.TIMINGS_FORMAT) in an in-memory
  ring; each request's total time goes into a per-version histogram (buckets 10% wide),
  which gives the p95. The ring keeps order, so the cursor is the last line read.
Everything lives in the Rollout row's `counters` JSON: any worker can take the next tick.
"""
import math
from dataclasses import dataclass

from hosting.rollouts.decide import Observed
from hosting.router import haproxy, metrics
from hosting.router.converge import paths
from hosting.router.render import TIMINGS_RING

BUCKET_BASE = 1.1  # histogram buckets grow by 10%: a p95 within 10% of the exact one


@dataclass
class Reading:
    pid: str
    counters: dict  # {"backend/server": (version id, rtime, [req, 2xx, 4xx, 5xx])}
    events: list  # [(request counter, version id or None, total ms)] in the ring's order


def read(service_id: int) -> Reading | None:
    """One reading of the service's backend; None while HAProxy is down."""
    backend = f"svc_{service_id}"
    p = paths()
    try:
        pid = haproxy.info(p).get("Pid", "")
        rows = [r for r in haproxy.stats(p) if r.get("pxname") == backend]
        lines = haproxy.ask(p.stats_socket, f"show events {TIMINGS_RING}").splitlines()
    except (haproxy.HAProxyDown, OSError):
        return None
    return Reading(pid, metrics.read_counters(rows), parse_events(lines, pid, backend))


def parse_events(lines: list[str], pid: str, backend: str) -> list:
    events = []
    for line in lines:
        fields = line.split()
        if len(fields) != 6 or fields[0] != pid or not fields[1].isdigit():
            continue
        match = metrics.SLOT.fullmatch(fields[3]) if fields[2] == backend else None
        total = int(fields[5]) if fields[5].lstrip("-").isdigit() else -1
        events.append((int(fields[1]), int(match.group(1)) if match else None, total))
    return events


def bucket(ms: int) -> int:
    return 0 if ms <= 1 else math.ceil(math.log(ms) / math.log(BUCKET_BASE))


def percentile(histogram: dict, fraction: float = 0.95) -> float | None:
    """The bucket's upper bound where `fraction` of the samples are at or below."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for index in sorted(histogram, key=int):
        seen += histogram[index]
        if seen >= fraction * total:
            return round(BUCKET_BASE ** int(index), 1)
    return None


def fresh_events(events: list, state: dict, same_process: bool) -> list:
    """The events after the last one read (all of them after a reload or a wrapped ring)."""
    cursor = state.get("cursor") if same_process else None
    if cursor is not None:
        for position, (counter, _vid, _ms) in enumerate(events):
            if counter == cursor:
                return events[position + 1:]
    return events


def accumulate(state: dict, reading: Reading) -> dict:
    """The new `counters` JSON: this reading's growth added to the current step's totals."""
    same = state.get("pid") == reading.pid
    grown = metrics.deltas(reading.counters, state.get("last", {}), same)
    step = {vid: dict(v, hist=dict(v.get("hist", {}))) for vid, v in state.get("step", {}).items()}
    for vid, totals in grown.items():
        entry = step.setdefault(str(vid), {"requests": 0, "5xx": 0, "hist": {}})
        entry["requests"] += totals.requests
        entry["5xx"] += totals.responses_5xx
    for _counter, vid, ms in fresh_events(reading.events, state, same):
        if vid is not None and ms >= 0:
            hist = step.setdefault(str(vid), {"requests": 0, "5xx": 0, "hist": {}})["hist"]
            key = str(bucket(ms))
            hist[key] = hist.get(key, 0) + 1
    cursor = reading.events[-1][0] if reading.events else (state.get("cursor") if same else None)
    return {**state, "pid": reading.pid, "cursor": cursor, "step": step,
            "last": {key: values for key, (_vid, _rtime, values) in reading.counters.items()}}


def new_step(state: dict) -> dict:
    """A step begins: keep the cumulative reading and the cursor, forget the step's totals
    (and what was noted about it)."""
    return {**{k: v for k, v in state.items() if k != "noted"}, "step": {}}


def observed(state: dict, version_ids) -> Observed:
    """The versions' answers in this step, combined (one version, or all previous ones)."""
    requests = errors = 0
    hist: dict = {}
    for vid in version_ids:
        entry = state.get("step", {}).get(str(vid))
        if entry:
            requests += entry["requests"]
            errors += entry["5xx"]
            for key, count in entry["hist"].items():
                hist[key] = hist.get(key, 0) + count
    return Observed(requests, errors, percentile(hist))
