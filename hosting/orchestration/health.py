"""HTTP health checks: one probe, quick polling until the first answer, and the retry rule.

A check is an HTTP GET / on the service port: any non-5xx answer is healthy; a refused
connection, a timeout or a 5xx is a failure. Right after start the port is polled every
POLL_SECONDS, so a fast app is seen ready within milliseconds instead of after a fixed
sleep; an attempt fails when no healthy answer came within its window, and the version
gets settings.HEALTH_CHECK_RETRIES more attempts before it is declared failed.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings

from hosting.reasons import Reason, reason
from hosting.runtimes.base import ProbeResult

POLL_SECONDS = 0.02


def attempts() -> int:
    """The first attempt plus HEALTH_CHECK_RETRIES retries."""
    return 1 + settings.HEALTH_CHECK_RETRIES


def attempt_window() -> float:
    return max(settings.HEALTH_CHECK_TIMEOUT_SECONDS, 0.2)


def poll(probe: Callable[[float], ProbeResult], window: float,
         stop: Callable[[], bool] = lambda: False) -> ProbeResult:
    """Probe every POLL_SECONDS until a healthy answer, `stop()` or the window ends.

    Returns the healthy result, or the last failure seen. `stop` is asked between probes
    (e.g. "the container exited", "the version was deleted") to give up early.
    """
    deadline = time.monotonic() + window
    last = ProbeResult(False, "timeout")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return last
        last = probe(min(remaining, settings.HEALTH_CHECK_TIMEOUT_SECONDS))
        if last.ok or stop():
            return last
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def check_with_retries(probe: Callable[[float], ProbeResult],
                       stop: Callable[[], bool] = lambda: False) -> tuple[ProbeResult, int]:
    """Run up to attempts() windows; returns the final result and the attempts used."""
    result = ProbeResult(False, "timeout")
    for attempt in range(1, attempts() + 1):
        result = poll(probe, attempt_window(), stop)
        if result.ok or stop():
            return result, attempt
    return result, attempts()


def describe_failure(result: ProbeResult, port: int, window: float) -> Reason:
    """Why a check failed, as a reason (rendered in the reader's language)."""
    if result.reason == "refused":
        return reason("failure.refused", port=port)
    if result.reason == "timeout":
        return reason("failure.timeout", port=port, window=f"{window:g}")
    if result.reason == "http_5xx":
        return reason("failure.http_5xx", port=port, status=result.status)
    if result.reason == "no_port":
        return reason("failure.no_port", port=port)
    return reason("failure.probe_error", port=port, error=result.detail or result.reason)
