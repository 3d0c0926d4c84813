"""xpnet.random: the global generator's state can be saved and restored exactly."""
import json

import pytest

import xpnet
from xpnet import random


def test_rng_state_round_trips_through_json_and_replays_the_stream():
    xpnet.manual_seed(11)
    random.uniform(0, 1, (3,), "float64")  # move away from the seed's first state
    state = json.loads(json.dumps(random.get_rng_state()))  # plain data, as in a checkpoint
    expected = random.normal(0, 1, (5,), "float64")
    xpnet.manual_seed(99)
    random.set_rng_state(state)
    assert (random.normal(0, 1, (5,), "float64") == expected).all()


@pytest.mark.parametrize("state", [None, {}, {"bit_generator": "MT19937"},
                                   {"bit_generator": "PCG64", "state": "x"}])
def test_set_rng_state_rejects_non_states_and_leaves_the_generator_alone(state):
    xpnet.manual_seed(4)
    before = random.get_rng_state()
    with pytest.raises(ValueError, match="set_rng_state"):
        random.set_rng_state(state)
    assert random.get_rng_state() == before


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_manual_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        xpnet.manual_seed(seed)
