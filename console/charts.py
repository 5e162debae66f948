"""Server-rendered SVG sparklines of a version's request rate and CPU from MetricSample."""
from dataclasses import dataclass

from hosting.models import MetricSample, Version

WIDTH, HEIGHT, SAMPLES = 300, 60, 60


@dataclass
class Sparkline:
    points: str  # the polyline's "x,y x,y ..."
    last: float | None
    peak: float
    width: int = WIDTH
    height: int = HEIGHT


def sparkline(values: list[float], floor_peak: float = 1.0) -> Sparkline | None:
    """Scale values into the box (0 at the bottom); None when there is nothing to draw."""
    if not values:
        return None
    peak = max(max(values), floor_peak)
    step = WIDTH / max(len(values) - 1, 1)
    coords = [(i * step, HEIGHT - 2 - (v / peak) * (HEIGHT - 4)) for i, v in enumerate(values)]
    if len(coords) == 1:
        coords.append((WIDTH, coords[0][1]))
    return Sparkline(" ".join(f"{x:.1f},{y:.1f}" for x, y in coords), values[-1], peak)


def for_version(version: Version) -> dict[str, Sparkline | None]:
    samples = list(MetricSample.objects.filter(version=version).order_by("-timestamp", "-id")[:SAMPLES])[::-1]
    rates = [s.requests / s.interval_seconds if s.interval_seconds else float(s.requests) for s in samples]
    cpu = [s.cpu_percent for s in samples if s.cpu_percent is not None]
    return {"requests": sparkline(rates), "cpu": sparkline(cpu, floor_peak=100.0)}
