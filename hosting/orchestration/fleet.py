"""What the engine runs, as the reconcile pass sees it, without listing it every pass.

Listing every container costs the engine time that grows with the host's whole fleet
(Podman 4.3: about 1 s for 200 containers), so the pass lists once every
RECONCILE_FULL_LIST_SECONDS and in between keeps the last listing up to date: with what
the pass itself starts and removes, with one inspect for an instance the database knows
and the listing does not (started by a deploy or a convergence elsewhere), and with one
inspect for an instance whose probe just failed (it may have exited). An exit that no
probe noticed yet, and orphans, wait for the next full listing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings

from hosting.runtimes import specs
from hosting.runtimes.base import Observed, Runtime


@dataclass
class Fleet:
    runtime: Runtime
    listed_at: float
    items: dict[str, Observed] = field(default_factory=dict)
    fresh: bool = True  # listed during this pass: what is absent really is absent

    def by_version(self) -> dict[int | None, list[Observed]]:
        grouped: dict[int | None, list[Observed]] = {}
        for item in self.items.values():
            grouped.setdefault(specs.version_id_of(item.labels), []).append(item)
        return grouped

    def look_up(self, names: list[str]) -> None:
        """Inspect the named instances the last listing did not have."""
        if self.fresh:
            return
        for name in names:
            if name not in self.items:
                found = self.runtime.get(name)
                if found is not None:
                    self.items[name] = found

    def refresh(self, name: str) -> None:
        found = self.runtime.get(name)
        if found is None:
            self.items.pop(name, None)
        else:
            self.items[name] = found

    def replace_version(self, version_id: int, items: dict[str, Observed]) -> None:
        """After a version was converged: exactly these are its instances now."""
        for name in [n for n, o in self.items.items() if specs.version_id_of(o.labels) == version_id]:
            self.items.pop(name)
        self.items.update(items)


_fleet: Fleet | None = None


def current(runtime: Runtime) -> Fleet:
    """The fleet for this pass: the cached one, or a new listing when it is due."""
    global _fleet
    due = (_fleet is None or _fleet.runtime is not runtime
           or time.monotonic() - _fleet.listed_at >= settings.RECONCILE_FULL_LIST_SECONDS)
    if due:
        listed = runtime.observe(specs.namespace_selector())
        _fleet = Fleet(runtime, time.monotonic(), {item.name: item for item in listed})
    else:
        _fleet.fresh = False
    return _fleet
