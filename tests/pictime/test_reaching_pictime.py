"""One way to reach a company's Pic-Time: its connection, its API client, one "not connected"
error, and one pagination helper in the client (with the sync's retry policy)."""

import time

import pytest

from integrations.models import CompanyIntegration
from pictime.client import BACKGROUND, NO_RETRY
from pictime.errors import NotConnected, RateLimited
from pictime.models import Connection
from pictime.services.connection import disconnect
from tests.factories import requests_at_pictime


def test_a_company_reaches_its_own_connection_only(connection, company, other_company):
    assert Connection.objects.for_company(company).first() == connection
    assert Connection.objects.for_company(company.pk).first() == connection
    assert Connection.objects.for_company(other_company).first() is None


def test_the_api_client_reads_the_connected_account(connection, pictime_account):
    assert connection.api().get_account().id == pictime_account["id"]


def test_a_disconnected_company_gets_no_client_and_pictime_no_call(connection, sandbox, pictime_account):
    disconnect(connection)
    before = requests_at_pictime(sandbox, pictime_account)
    with pytest.raises(NotConnected) as refused:
        Connection.objects.connected(connection.company)
    assert refused.value.code == "not_connected"
    assert "Connect it in Company Settings > Integrations" in refused.value.user_message
    with pytest.raises(NotConnected):
        Connection.require(None)  # never connected
    assert requests_at_pictime(sandbox, pictime_account) == before


def test_a_connection_needing_reconnection_says_reconnect(connection, sandbox, pictime_account):
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        status=CompanyIntegration.Status.NEEDS_RECONNECTION
    )
    before = requests_at_pictime(sandbox, pictime_account)
    with pytest.raises(NotConnected) as refused:
        Connection.objects.connected(connection.company)
    assert refused.value.code == "needs_reconnection"
    assert "needs to be reconnected" in refused.value.user_message
    assert requests_at_pictime(sandbox, pictime_account) == before


def test_the_pagination_helper_follows_cursors_and_stops_at_max_pages(connection, sandbox, pictime_account):
    for n in range(5):
        sandbox.create_gallery(pictime_account["id"], name=f"Session {n}")
    api = connection.api()

    assert len(list(api.iter_galleries(limit=2))) == 5
    assert api.requests_made == 3
    assert len(list(api.iter_galleries(limit=2, max_pages=2))) == 4
    assert api.requests_made == 5


def test_a_web_read_fails_at_once_on_a_429_and_the_sync_waits_it_out(
    connection, sandbox, pictime_account, waits
):
    sandbox.create_gallery(pictime_account["id"], name="Wedding")
    api = connection.api()

    sandbox.set_faults(rate_limit_next=1, retry_after=2)
    with pytest.raises(RateLimited):
        list(api.iter_galleries(retry=NO_RETRY))
    assert waits == []
    time.sleep(2.1)  # that 429 blocked the whole account for its Retry-After

    sandbox.set_faults(rate_limit_next=1, retry_after=2)
    assert [g.name for g in api.iter_galleries(retry=BACKGROUND)] == ["Wedding"]
    assert len(waits) == 1 and waits[0] >= 2  # never before Retry-After
