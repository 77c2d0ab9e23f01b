"""Fixtures of the Pic-Time integration's tests: a gallery's changes sent as Pic-Time's webhooks,
Auto-create turned on, a connection made straight in the database, and Pic-Time's API mocked on the
network for the tests of our own logic (the sandbox stays for the contract and end-to-end tests)."""

import pytest
import responses

from pictime.client import transport
from pictime.services.connection import set_auto_create
from tests.factories import Pictime, make_connection

PICTIME_URL = "https://pictime.test"
PICTIME_API = PICTIME_URL + "/api/v2"


@pytest.fixture
def pictime(client, connection, gallery, pictime_account, django_capture_on_commit_callbacks):
    """`gallery`'s changes, sent as Pic-Time's webhooks (Pictime.publish(), .change(), …)."""
    return Pictime(client, connection, gallery, pictime_account["id"], django_capture_on_commit_callbacks)


@pytest.fixture
def auto_create_on(connection):
    return set_auto_create(connection, True)


@pytest.fixture
def studio_connection(company):
    """A connected Pic-Time account made in the database (no sandbox: nothing here calls Pic-Time)."""
    return make_connection(company)


@pytest.fixture
def pictime_api(settings):
    """Pic-Time's API mocked on the network (`responses`) at PICTIME_API: a test registers the answers
    it expects; one it registered but the CRM never asked for fails the test, as does a request it
    did not register."""
    settings.PICTIME_BASE_URL = PICTIME_URL
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def mocked_connection(company, pictime_api):
    """A connected Pic-Time account (a valid token, made in the database) whose API is `pictime_api`."""
    return make_connection(company)


@pytest.fixture
def backoffs(monkeypatch):
    """The Pic-Time client's waits, recorded and not waited (only for waits no limit keeps in real
    time: a transient error's backoff)."""
    made = []
    monkeypatch.setattr(transport, "sleep", made.append)
    return made
