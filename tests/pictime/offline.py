"""The `connection`, `pictime_account` and `gallery` fixtures of tests about our own handling of what
Pic-Time sends (webhook events): a connection made in the database, Pic-Time's API mocked with no
answer registered, so any request to it fails the test. A test module takes them by importing them,
in place of the sandbox's fixtures of the same names (tests/fixtures.py)."""

import pytest

from tests.pictime_client.conftest import gallery_dict


@pytest.fixture(name="connection")
def offline_connection(mocked_connection):
    return mocked_connection


@pytest.fixture(name="pictime_account")
def offline_account(mocked_connection):
    return {"id": mocked_connection.account_id}


@pytest.fixture(name="gallery")
def offline_gallery():
    """A gallery as Pic-Time sends it (tests/pictime_client/conftest.py's, named for the project)."""
    return gallery_dict(name="Bella & Ben Wedding", slug="bella-ben-wedding")
