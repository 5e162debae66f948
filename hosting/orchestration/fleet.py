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
    # version id (None: no version label) -> engine name -> what the engine showed
    versions: dict[int | None, dict[str, Observed]] = field(default_factory=dict)
    fresh: bool = True  # listed during this pass: what is absent really is absent

    @classmethod
    def listed(cls, runtime: Runtime, items: list[Observed]) -> Fleet:
        fleet = cls(runtime, time.monotonic())
        for item in items:
            fleet.add(item)
        return fleet

    def add(self, item: Observed) -> None:
        self.versions.setdefault(specs.version_id_of(item.labels), {})[item.name] = item

    def by_version(self) -> dict[int | None, list[Observed]]:
        return {vid: list(items.values()) for vid, items in self.versions.items()}

    def look_up(self, known: dict[str, tuple[int, str]]) -> None:
        """Inspect the instances the database knows ({engine name: (version id,
        container id)}) that the last listing did not have, or had as another container
        (replaced by a convergence in another process)."""
        if self.fresh:
            return
        for name, (version_id, container_id) in known.items():
            cached = self.versions.get(version_id, {}).get(name)
            if cached is None or cached.id != container_id:
                self.versions.get(version_id, {}).pop(name, None)
                found = self.runtime.get(self.runtime.address(name, container_id))
                if found is not None:
                    self.add(found)

    def refresh(self, item: Observed) -> None:
        group = self.versions.setdefault(specs.version_id_of(item.labels), {})
        found = self.runtime.get(self.runtime.address(item.name, item.id))
        if found is None:
            group.pop(item.name, None)
        else:
            group[item.name] = found

    def replace_version(self, version_id: int, items: dict[str, Observed]) -> None:
        """After a version was converged: exactly these are its instances now."""
        self.versions[version_id] = dict(items)


_fleet: Fleet | None = None


def current(runtime: Runtime) -> Fleet:
    """The fleet for this pass: the cached one, or a new listing when it is due."""
    global _fleet
    due = (_fleet is None or _fleet.runtime is not runtime
           or time.monotonic() - _fleet.listed_at >= settings.RECONCILE_FULL_LIST_SECONDS)
    if due:
        _fleet = Fleet.listed(runtime, runtime.observe(specs.namespace_selector()))
    else:
        _fleet.fresh = False
    return _fleet
