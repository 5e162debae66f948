"""`make bench`'s phase figures: the phases of the p50 cold start, and their sum's ratio."""
import pytest

from bench import phases as bench_phases
from bench.__main__ import ratio_name
from hosting.orchestration.phases import phase


def start(seconds: float, wake: float) -> tuple[float, list[dict]]:
    """A cold start measured at `seconds` whose phases cover 95% of it."""
    covered = seconds * 0.95
    return seconds, [phase("wake", 0.0, wake), phase("start", wake, covered)]


def test_the_figures_are_the_phases_of_the_p50_start_not_per_phase_medians():
    cold = [start(1.0, 0.9), start(0.5, 0.1), start(3.0, 0.2)]
    rows = {name: (value, ratio) for name, value, _unit, ratio in bench_phases.figures(cold)}
    assert rows["cold_start_phase_wake_p50"] == (pytest.approx(0.9), None)
    assert rows["cold_start_phase_start_p50"] == (pytest.approx(0.05), None)
    value, ratio = rows["cold_start_phase_sum"]
    assert (value, ratio) == (pytest.approx(0.95), pytest.approx(0.95))


def test_the_sums_ratio_line_is_named_for_the_contract():
    assert ratio_name("cold_start_phase_sum") == "cold_start_phase_sum_ratio"


def test_an_even_count_takes_the_lower_middle_like_cold_start_p50():
    cold = [start(1.0, 0.3), start(2.0, 0.6)]
    rows = {name: value for name, value, _unit, _ratio in bench_phases.figures(cold)}
    assert rows["cold_start_phase_wake_p50"] == pytest.approx(0.3)
