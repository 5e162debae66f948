"""The phases of a version's recent instance starts, as bars the template draws with CSS.

Each segment's width is its share of the whole start, so "pull 2.1 s of 2.4 s" is read
at a glance; the text says it too for screen readers and for the browser test.
"""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from hosting.models import InstanceStart, Version
from hosting.orchestration import phases

RECENT = 5
LABELS = {
    "resolve": _("resolve"), "pull": _("pull"), "wake": _("wake"), "create": _("create"),
    "start": _("start"), "delay": _("delay"), "health": _("health"), "proxy": _("proxy"),
}


@dataclass
class Segment:
    name: str
    label: str
    seconds: float
    percent: float


@dataclass
class Timeline:
    start: InstanceStart
    total: float
    segments: list[Segment]
    longest: Segment | None


def timeline(start: InstanceStart) -> Timeline:
    spans = phases.durations(start.phases)
    whole = sum(spans.values())
    segments = [Segment(name, str(LABELS.get(name, name)), seconds,
                        round(100 * seconds / whole, 1) if whole else 0.0)
                for name, seconds in spans.items()]
    longest = max(segments, key=lambda s: s.seconds) if segments else None
    return Timeline(start, round(whole, 3), segments, longest)


def for_version(version: Version) -> list[Timeline]:
    """The last few starts, newest first; they outlive the instances (scale to zero)."""
    return [timeline(start) for start in version.starts.order_by("-started_at", "-id")[:RECENT]]
