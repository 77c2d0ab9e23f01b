"""The one function that hands out access tokens: locked refresh, rotation, and what breaks a connection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.client import PicTimeClient
from pictime.errors import NeedsReconnection, RefreshRetrying, Unavailable
from pictime.models import Connection
from pictime.oauth import oauth_client
from tests.helpers import access_token
from tests.waiting import at_once


def expire(connection):
    Connection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=5)
    )


def test_a_fresh_token_is_handed_out_without_calling_pictime(connection, sandbox, pictime_account):
    before = sandbox.stats(pictime_account["id"])["token_refreshes"]
    assert access_token(connection.pk) == connection.access_token
    assert sandbox.stats(pictime_account["id"])["token_refreshes"] == before


def test_a_token_about_to_expire_is_refreshed_and_rotated(connection, sandbox, pictime_account):
    Connection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() + timedelta(seconds=30)  # inside the 60 s margin
    )
    old_refresh = connection.refresh_token
    token = access_token(connection.pk)
    connection.refresh_from_db()
    assert token == connection.access_token
    assert connection.refresh_token != old_refresh
    assert connection.access_token_expires_at > timezone.now() + timedelta(minutes=50)
    assert PicTimeClient(sandbox.url, token).get_account().id == pictime_account["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_threads_share_one_refresh(connection, sandbox, pictime_account):
    expire(connection)
    before = sandbox.stats(pictime_account["id"])["token_refreshes"]
    tokens, errors = at_once(*[lambda: access_token(connection.pk)] * 10)

    assert errors == [None] * 10
    assert len(tokens) == 10 and len(set(tokens)) == 1
    assert sandbox.stats(pictime_account["id"])["token_refreshes"] == before + 1
    assert PicTimeClient(sandbox.url, tokens[0]).get_account().id == pictime_account["id"]
    connection.refresh_from_db()
    assert connection.is_connected
    # The grant is still valid: the saved refresh token rotates again.
    assert oauth_client().refresh(connection.refresh_token).access_token


def test_a_refresh_timeout_does_not_mark_the_connection_broken(
    connection, sandbox, settings, django_capture_on_commit_callbacks
):
    expire(connection)
    settings.PICTIME_TIMEOUT = (1, 1)
    settings.PICTIME_REFRESH_RETRY_DELAYS = (0.1,)
    sandbox.set_faults(token_hang_seconds=3)
    with django_capture_on_commit_callbacks() as worker, pytest.raises(Unavailable):
        access_token(connection.pk)
    connection.refresh_from_db()
    assert connection.status == CompanyIntegration.Status.CONNECTED
    sandbox.reset()
    with pytest.raises(RefreshRetrying):  # a worker has it: the request doesn't send it again
        access_token(connection.pk)
    for task in worker:  # the worker asks again (run eagerly here), with the same refresh token
        task()
    assert access_token(connection.pk)  # works again once Pic-Time answers
    assert sandbox.stats(connection.account_id)["refresh_reuse"] == 0


def test_a_pictime_500_on_refresh_does_not_mark_the_connection_broken(connection, sandbox, settings):
    expire(connection)
    settings.PICTIME_REFRESH_RETRY_DELAYS = (0.1, 0.1)
    sandbox.set_faults(token_error_rate=1.0)  # every attempt, so the retries give up
    with pytest.raises(Unavailable):
        access_token(connection.pk)
    connection.refresh_from_db()
    assert connection.status == CompanyIntegration.Status.CONNECTED


def test_a_revoked_grant_marks_the_connection_as_needing_reconnection(connection, sandbox):
    oauth_client().revoke(connection.refresh_token)
    expire(connection)
    with pytest.raises(NeedsReconnection):
        access_token(connection.pk)
    connection.refresh_from_db()
    assert connection.status == CompanyIntegration.Status.NEEDS_RECONNECTION
    assert "refused the saved authorization" in connection.integration.last_error
    with pytest.raises(NeedsReconnection):  # and no further call is made with it
        access_token(connection.pk)


def test_needs_reconnection_shows_a_banner_with_reconnect(owner_client, connection):
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        status=CompanyIntegration.Status.NEEDS_RECONNECTION
    )
    page = owner_client.get("/settings/integrations/").content.decode()
    assert "Pic-Time needs to be reconnected." in page
    assert ">Reconnect</button>" in page
