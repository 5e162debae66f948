"""The gradual policy's settings: validated once, stored whole (defaults filled in).

Each error names the field inside `rollout` and its limit, like every other rule.
"""
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

STEPS_DEFAULT = [10, 50, 100]
STEPS_MAX = 10
HOLD_DEFAULT, HOLD_MIN, HOLD_MAX = 60, 15, 3600
MAX_5XX_DEFAULT = 1.0  # percent of the new version's responses
LATENCY_FACTOR_DEFAULT, LATENCY_FACTOR_MIN, LATENCY_FACTOR_MAX = 2.0, 1.0, 100.0
MIN_REQUESTS_DEFAULT, MIN_REQUESTS_MAX = 50, 1_000_000
# Below this p95 the latency guard never fires: 2x of a 3 ms answer is noise.
LATENCY_FLOOR_DEFAULT, LATENCY_FLOOR_MAX = 100, 60_000


@dataclass(frozen=True)
class RolloutOptions:
    steps: list = field(default_factory=lambda: list(STEPS_DEFAULT))
    hold_seconds: int = HOLD_DEFAULT
    max_5xx_percent: float = MAX_5XX_DEFAULT
    latency_factor: float = LATENCY_FACTOR_DEFAULT
    min_requests: int = MIN_REQUESTS_DEFAULT
    latency_floor_ms: int = LATENCY_FLOOR_DEFAULT

    def as_dict(self) -> dict:
        return asdict(self)


def min_hold() -> int:
    """15 s in production; tests lower it (ROLLOUT_MIN_HOLD_SECONDS) to walk steps quickly."""
    return int(getattr(settings, "ROLLOUT_MIN_HOLD_SECONDS", HOLD_MIN))


def _error(name: str, message: str) -> ValidationError:
    return ValidationError({"rollout": [ValidationError(message, code=f"rollout.{name}")]})


def _whole(data: dict, name: str, low: int, high: int) -> int:
    value = data[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _error(name, _("rollout.%(name)s must be a whole number from %(low)d to %(high)d.")
                     % {"name": name, "low": low, "high": high})
    return value


def _number(data: dict, name: str, low: float, high: float) -> float:
    value = data[name]
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise _error(name, _("rollout.%(name)s must be a number from %(low)g to %(high)g.")
                     % {"name": name, "low": low, "high": high})
    return float(value)


def _steps(data: dict) -> list[int]:
    steps = data["steps"]
    ok = (isinstance(steps, list) and 1 <= len(steps) <= STEPS_MAX
          and all(isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 100 for s in steps)
          and all(a < b for a, b in zip(steps, steps[1:], strict=False)) and steps[-1] == 100)
    if not ok:
        raise _error("steps", _("rollout.steps must be 1 to %(max)d rising percentages from 1 "
                                "to 100 that end at 100 (e.g. [10, 50, 100]).") % {"max": STEPS_MAX})
    return steps


def parse(data) -> RolloutOptions:
    """Validate the user's `rollout` object (any key may be left out) into full options."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _error("options", _("rollout must be an object of options."))
    defaults = RolloutOptions().as_dict()
    unknown = sorted(set(data) - set(defaults))
    if unknown:
        raise _error(unknown[0], _("rollout.%(name)s is not an option; the options are: "
                                   "%(names)s.") % {"name": unknown[0], "names": ", ".join(defaults)})
    merged = {**defaults, **data}
    return RolloutOptions(
        steps=_steps(merged),
        hold_seconds=_whole(merged, "hold_seconds", min_hold(), HOLD_MAX),
        max_5xx_percent=_number(merged, "max_5xx_percent", 0.0, 100.0),
        latency_factor=_number(merged, "latency_factor", LATENCY_FACTOR_MIN, LATENCY_FACTOR_MAX),
        min_requests=_whole(merged, "min_requests", 1, MIN_REQUESTS_MAX),
        latency_floor_ms=_whole(merged, "latency_floor_ms", 0, LATENCY_FLOOR_MAX),
    )
