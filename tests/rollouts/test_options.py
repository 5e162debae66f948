"""The gradual policy's options: defaults filled in, each bad value named with its limit."""
import pytest
from django.core.exceptions import ValidationError

from hosting.rollouts.options import RolloutOptions, parse


def test_nothing_given_means_the_defaults():
    assert parse(None) == parse({}) == RolloutOptions()
    assert RolloutOptions().as_dict() == {"steps": [10, 50, 100], "hold_seconds": 60,
                                          "max_5xx_percent": 1.0, "latency_factor": 2.0,
                                          "min_requests": 50, "latency_floor_ms": 100}


@pytest.mark.parametrize(("given", "words"), [
    ({"steps": []}, "rollout.steps must be 1 to 10"),
    ({"steps": [10, 10, 100]}, "rising"),
    ({"steps": [0, 100]}, "from 1 to 100"),
    ({"steps": [True, 100]}, "rollout.steps"),
    ({"steps": list(range(1, 12)) + [100]}, "1 to 10"),
    ({"hold_seconds": 14}, "from 15 to 3600"),
    ({"hold_seconds": 3601}, "from 15 to 3600"),
    ({"hold_seconds": "60"}, "whole number"),
    ({"max_5xx_percent": -1}, "from 0 to 100"),
    ({"latency_factor": "2"}, "a number from 1 to 100"),
    ({"min_requests": 1_000_001}, "from 1 to 1000000"),
    ({"latency_floor_ms": -5}, "from 0 to 60000"),
    ([10, 50], "rollout must be an object"),
])
def test_a_bad_option_is_named_with_its_limit(given, words):
    with pytest.raises(ValidationError) as caught:
        parse(given)
    assert words in caught.value.message_dict["rollout"][0]


def test_the_shortest_hold_follows_the_setting(settings):
    settings.ROLLOUT_MIN_HOLD_SECONDS = 1
    assert parse({"hold_seconds": 1}).hold_seconds == 1


def test_a_single_step_to_100_is_allowed():
    assert parse({"steps": [100]}).steps == [100]
