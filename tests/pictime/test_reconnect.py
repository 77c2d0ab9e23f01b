"""Every way back to "Connected" leaves Pic-Time sending webhooks to one subscription, the new
grant's, and Integrations shows no line left over from the state before.

The paths: Pic-Time revoked the grant (seen by the next sync), a refresh answered ``invalid_grant``,
Disconnect then Connect, and connecting another Pic-Time account. Each is followed by a second
change (a webhook from the new subscription) so that what the reconnect left behind is exercised.
"""

import uuid

import pytest
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.client import PicTimeClient
from pictime.errors import NeedsReconnection
from pictime.models import Connection, SyncRun
from pictime.services.sync import sync_links
from tests.factories import publication_sent_to
from tests.helpers import access_token, integrations_tab, messages_of
from tests.oauth_forms import CALLBACK, approve


def lose_the_grant(how, http, connection, sandbox, account):
    """Brings the connection to the state a photographer reconnects from; returns the account to
    connect next."""
    if how == "revoked":
        sandbox.revoke_grants(account["id"])
        run = sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
        assert run.status == SyncRun.Status.FAILED
    elif how == "refresh_invalid_grant":
        sandbox.revoke_grants(account["id"])
        Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=timezone.now())
        with pytest.raises(NeedsReconnection):
            access_token(connection.pk)
    elif how == "disconnect":
        http.post("/integrations/pictime/disconnect/")
    elif how == "switch_account":
        suffix = uuid.uuid4().hex[:8]
        return sandbox.create_account(name=f"Second {suffix}", email=f"second-{suffix}@pictime.test")
    return account


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["revoked", "refresh_invalid_grant", "disconnect", "switch_account"])
def test_reconnecting_leaves_one_webhook_subscription_and_no_stale_line(
    how, owner_client, connection, project, sandbox, pictime_account, pictime_settings
):
    old_token = connection.access_token
    account = lose_the_grant(how, owner_client, connection, sandbox, pictime_account)
    if how in ("revoked", "refresh_invalid_grant"):
        assert "Pic-Time needs to be reconnected." in integrations_tab(owner_client)

    query = approve(owner_client, sandbox, account, pictime_settings)
    response = owner_client.get(CALLBACK, query, follow=True)

    assert f"Connected to Pic-Time as {account['name']}." in messages_of(response)
    assert not any("webhook" in m for m in messages_of(response))
    page = response.content.decode()
    assert '<span class="badge ok">Connected</span>' in page
    assert "Couldn't subscribe" not in page and "needs to be reconnected" not in page
    below_badge = page.split('<span class="badge ok">Connected</span>')[1].split("<form")[0]
    assert '<p class="help">' not in below_badge  # no error line under the badge
    connection = Connection.objects.for_company(project.company).get()
    assert connection.is_connected and connection.integration.last_error == ""

    # At Pic-Time: the new grant has exactly one subscription, ours, and the old grant none.
    subscriptions = PicTimeClient(sandbox.url, connection.access_token).list_webhooks()
    assert [s.id for s in subscriptions] == [connection.webhook_id]
    if how in ("disconnect", "switch_account"):
        with pytest.raises(NeedsReconnection):  # the grant left behind was revoked with its webhooks
            PicTimeClient(sandbox.url, old_token).list_webhooks()

    # The second change: a publication at Pic-Time is sent to that one subscription (the browser
    # test, tests/e2e/test_reconnect_e2e.py, watches it arrive in the open panel).
    gallery = sandbox.create_gallery(account["id"], name="After the reconnect")
    sandbox.publish(gallery["id"])
    assert publication_sent_to(sandbox, account["id"], gallery["id"]) == [connection.webhook_id]
    tab = integrations_tab(owner_client)
    assert '<p class="help">' not in tab.split('<span class="badge ok">Connected</span>')[1].split("<form")[0]


@pytest.mark.django_db
def test_a_subscription_error_beside_connected_goes_with_the_next_connect(
    owner_client, connection, sandbox, pictime_account, pictime_settings
):
    # What a failed POST /webhooks leaves (services.connection.subscribe_webhooks).
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        last_error="Couldn't subscribe to Pic-Time's webhooks: Pic-Time is not answering."
    )
    assert "Couldn't subscribe to Pic-Time's webhooks" in integrations_tab(owner_client)

    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    owner_client.get(CALLBACK, query, follow=True)

    assert "Couldn't subscribe" not in integrations_tab(owner_client)
    connection.refresh_from_db()
    assert [s.id for s in PicTimeClient(sandbox.url, connection.access_token).list_webhooks()] == [
        connection.webhook_id
    ]


@pytest.mark.django_db
def test_a_subscription_error_is_not_written_over_another_state(connection):
    from pictime.services.connection import subscribe_webhooks

    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        status=CompanyIntegration.Status.DISCONNECTED, last_error=""
    )
    connection = Connection.objects.for_company(connection.company_id).get()
    assert subscribe_webhooks(connection) is False  # not connected: nothing is sent
    connection.integration.refresh_from_db()
    assert connection.integration.last_error == ""
