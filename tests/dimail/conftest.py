"""Fixtures of the dimail client's unit tests.

In this folder `client` is a DimailClient (test_client_against_simulator.py points its own at
the simulator), never the application's test client of tests/conftest.py.
"""

import pytest
import responses

from tests.dimail.client_support import BASE, PASSWORD, USER
from webapp.dimail.client import DimailClient


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client():
    return DimailClient(BASE, USER, PASSWORD, timeout=10)
