"""Step splits and the rollback target: whole shares that add up to 100."""
import pytest

from hosting.rollouts.split import rollback_target, step_split

CASES = [
    ({1: 100}, 10, {1: 90, 9: 10}),
    ({1: 100}, 100, {9: 100}),
    ({1: 50, 2: 50}, 10, {1: 45, 2: 45, 9: 10}),
    ({1: 70, 2: 30}, 50, {1: 35, 2: 15, 9: 50}),
    ({1: 1, 2: 1, 3: 98}, 33, {1: 1, 2: 1, 3: 65, 9: 33}),
    ({}, 10, {9: 100}),  # nothing had traffic: nothing to compare with, all to the new one
]


@pytest.mark.parametrize(("previous", "percent", "expected"), CASES)
def test_a_step_gives_the_new_version_its_percent_and_keeps_the_proportions(previous, percent, expected):
    split = step_split(previous, 9, percent)
    assert split == expected
    assert sum(split.values()) == 100


def test_the_rollback_target_is_the_previous_split():
    assert rollback_target({1: 60, 2: 40, 9: 0}, 9, {1, 2}) == {1: 60, 2: 40}


def test_a_rollback_rescales_over_the_versions_that_can_still_serve():
    assert rollback_target({1: 60, 2: 40}, 9, {2}) == {2: 100}


def test_no_rollback_target_when_no_previous_version_can_serve():
    assert rollback_target({1: 100}, 9, set()) is None
