import pytest
from sim_helpers import client_for

from asana_sim import AsanaSimulator, SimConfig


@pytest.fixture
def sim():
    return AsanaSimulator(SimConfig.small(seed=7))


@pytest.fixture
def client(sim):
    with client_for(sim) as c:
        yield c
