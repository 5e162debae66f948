"""One HTTP health probe: GET / once, classified in the words the error log uses.

It lives on the runtime side because every backend's `probe()` ends here; the
orchestration layer decides when to probe and what a failure means (health.py).
"""
from __future__ import annotations

import http.client

from hosting.runtimes.base import ProbeResult


def http_get(host: str, port: int, timeout: float) -> ProbeResult:
    """GET / once; classify the outcome in the words the error log uses."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"User-Agent": "hosting-health-check"})
        status = conn.getresponse().status
    except ConnectionRefusedError:
        return ProbeResult(False, "refused")
    except TimeoutError:
        return ProbeResult(False, "timeout")
    except (OSError, http.client.HTTPException) as exc:
        # Reset or closed without an answer: the port forwarder accepted but nothing
        # inside answered (yet).
        return ProbeResult(False, "error", detail=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    if status >= 500:
        return ProbeResult(False, "http_5xx", status=status)
    return ProbeResult(True, "answered", status=status)
