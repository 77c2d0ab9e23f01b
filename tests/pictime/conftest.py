"""Fixtures of the Pic-Time integration's tests: a gallery's changes sent as Pic-Time's webhooks,
Auto-create turned on, a connection made straight in the database."""

import pytest

from pictime.services.connection import set_auto_create
from tests.factories import Pictime, make_connection


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
