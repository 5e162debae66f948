"""CPU and memory from the kubelet's summary API, read through the API server's node
proxy (/api/v1/nodes/<node>/proxy/stats/summary): no metrics-server needed.

The kubelet reports usageNanoCores averaged over its own sampling window, so one read is
a rate; the autoscaler's policy stays the platform's (hosting/autoscale).
"""
from __future__ import annotations

import time

from hosting.runtimes.base import Usage

CACHE_SECONDS = 2.0


def pod_usage(summary: dict) -> dict[tuple[str, str], Usage]:
    """(namespace, pod name) -> Usage of its containers, summed; cpu_cores is -1 (unknown,
    as the local engine's first sample) until the kubelet has a rate for every container."""
    result: dict[tuple[str, str], Usage] = {}
    for pod in summary.get("pods") or []:
        ref = pod.get("podRef") or {}
        cores, memory, known = 0.0, 0, True
        for container in pod.get("containers") or []:
            nanos = (container.get("cpu") or {}).get("usageNanoCores")
            known = known and nanos is not None
            cores += (nanos or 0) / 1e9
            memory += (container.get("memory") or {}).get("workingSetBytes") or 0
        usage = Usage(cores if known else -1.0, int(memory))
        result[(ref.get("namespace", ""), ref.get("name", ""))] = usage
    return result


class SummaryCache:
    """One summary read per node every CACHE_SECONDS, shared by all pods on the node
    (a reconcile pass samples every instance)."""

    def __init__(self, fetch):
        self.fetch = fetch  # node name -> summary dict
        self._cache: dict[str, tuple[float, dict[tuple[str, str], Usage]]] = {}

    def usage(self, node: str, namespace: str, pod: str) -> Usage | None:
        now = time.monotonic()
        cached = self._cache.get(node)
        if cached is None or now - cached[0] > CACHE_SECONDS:
            cached = (now, pod_usage(self.fetch(node)))
            self._cache[node] = cached
        return cached[1].get((namespace, pod))
