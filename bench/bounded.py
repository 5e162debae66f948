"""Waits that always end: every wait of a bench has a bound, and when it runs out the
error names what was awaited and what was seen, and stderr gets the stacks of the
threads that were stuck (a hang in the engine shows where it is).

A bench prints its progress on stderr (`# <module> +12s: ...`), so a run that stalls
says which step it stalled in; stdout keeps only the figures (Contracts, DESIGN.md).
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable

POLL_SECONDS = 0.02
_STARTED = time.monotonic()


def progress(module: str, message: str) -> None:
    print(f"# {module} +{time.monotonic() - _STARTED:.0f}s: {message}", file=sys.stderr, flush=True)


def wait(predicate: Callable[[], bool], what: str, seconds: float,
         describe: Callable[[], str] | None = None) -> None:
    """Poll `predicate` until it holds; after `seconds` raise naming `what` (and, with
    `describe`, what was last seen)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            seen = f"; last seen: {describe()}" if describe else ""
            raise TimeoutError(f"waited {seconds:.0f} s for {what}{seen}")
        time.sleep(POLL_SECONDS)


def in_threads(function: Callable, items: Iterable, workers: int, seconds: float,
               what: str) -> None:
    """Call `function(item)` for every item in `workers` daemon threads, within
    `seconds` in all. The first error is raised; on time out the error names the items
    still running and their stacks go to stderr. Daemon threads: a call stuck in the
    engine can not keep the process from exiting."""
    from django.db import connection

    todo: queue.Queue = queue.Queue()
    for item in items:
        todo.put(item)
    running: dict[int, object] = {}  # thread id -> its item
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while not errors:
                try:
                    item = todo.get_nowait()
                except queue.Empty:
                    return
                running[threading.get_ident()] = item
                function(item)
                running.pop(threading.get_ident(), None)
        except BaseException as exc:  # handed to the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        stuck = dict(running)
        _print_stacks(stuck)
        raise TimeoutError(f"waited {seconds:.0f} s for {what}; still running: "
                           f"{sorted(stuck.values())} (their stacks are on stderr)")


def _print_stacks(threads: dict[int, object]) -> None:
    frames = sys._current_frames()
    for ident, item in threads.items():
        if ident in frames:
            print(f"# stuck on {item!r}:\n{''.join(traceback.format_stack(frames[ident]))}",
                  file=sys.stderr, flush=True)
