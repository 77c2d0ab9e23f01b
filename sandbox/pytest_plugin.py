"""pytest plugin: `pytest_plugins = ["sandbox.pytest_plugin"]`.

pictime_sandbox  session-scoped: one running Sandbox for the whole run
sandbox          function-scoped: the same Sandbox after reset() (no faults, default rate limit)
"""

import pytest

from sandbox.testing import Sandbox


@pytest.fixture(scope="session")
def pictime_sandbox():
    sb = Sandbox.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def sandbox(pictime_sandbox):
    pictime_sandbox.reset()
    return pictime_sandbox
