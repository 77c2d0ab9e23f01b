"""Company Settings > Integrations > Pic-Time: Connect, the OAuth callback's failures, Disconnect,
Auto-create and defaults, for the owner, a teammate and an outsider."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.models import CompanyIntegration
from pictime.models import Connection
from tests.factories import make_link
from tests.helpers import TAB, messages_of
from tests.oauth_forms import CALLBACK, approve, start_connect


def test_it_connects_and_shows_the_account(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    response = owner_client.get(CALLBACK, query, follow=True)
    assert f"Connected to Pic-Time as {pictime_account['name']}." in messages_of(response)
    assert pictime_account["name"] in response.content.decode()
    connection = Connection.objects.get()
    assert connection.is_connected and connection.account_id == pictime_account["id"]
    # The webhook subscription exists at Pic-Time, pointing at this connection's URL.
    assert connection.webhook_id and connection.webhook_secret


def test_it_handles_deny(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings, decision="deny")
    assert query["error"] == "access_denied"
    response = owner_client.get(CALLBACK, query, follow=True)
    assert "You denied access on Pic-Time, so nothing was connected." in messages_of(response)
    assert not Connection.objects.exists()


def test_it_handles_wrong_state(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    query["state"] = "forged"
    response = owner_client.get(CALLBACK, query, follow=True)
    assert any("security check failed" in m for m in messages_of(response))
    assert not Connection.objects.exists()


def test_it_handles_missing_session_state(owner_client, pictime_settings):
    response = owner_client.get(CALLBACK, {"code": "abc", "state": "xyz"}, follow=True)
    assert any("expired or was already used" in m for m in messages_of(response))
    assert not Connection.objects.exists()


def test_a_callback_can_be_used_only_once(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    owner_client.get(CALLBACK, query)
    response = owner_client.get(CALLBACK, query, follow=True)
    assert any("expired or was already used" in m for m in messages_of(response))
    assert Connection.objects.count() == 1


def test_it_handles_a_reused_code(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    # Someone else redeemed the code first (the contract: reuse revokes what it issued).
    session = owner_client.session
    pending = session["pictime_oauth"]
    from pictime.oauth import oauth_client

    oauth_client().exchange_code(query["code"], pending["verifier"])
    response = owner_client.get(CALLBACK, query, follow=True)
    assert any("couldn't complete the connection" in m for m in messages_of(response))
    assert not Connection.objects.exists()


def test_it_handles_pictime_being_down(owner_client, pictime_settings, pictime_account, sandbox):
    query = approve(owner_client, sandbox, pictime_account, pictime_settings)
    sandbox.set_faults(token_fail_next=1)
    response = owner_client.get(CALLBACK, query, follow=True)
    assert messages_of(response) == [
        "Pic-Time couldn't complete the connection: Couldn't reach Pic-Time. Try again in a minute. "
        "Nothing was connected. Click Connect to try again."
    ]
    assert not Connection.objects.exists()


def test_connect_sends_pkce_and_state(owner_client, pictime_settings):
    url = start_connect(owner_client)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] == owner_client.session["pictime_oauth"]["state"]
    assert query["redirect_uri"] == ["http://testserver" + CALLBACK]


@pytest.mark.parametrize(
    "path",
    [
        "/integrations/pictime/connect/",
        "/integrations/pictime/disconnect/",
        "/integrations/pictime/auto-create/",
        "/integrations/pictime/defaults/",
    ],
)
def test_a_teammate_cant_change_the_connection(teammate_client, connection, path):
    response = teammate_client.post(path, {"auto_create": "on", "portal_intro": "x"})
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.is_connected and not connection.auto_create_enabled
    assert connection.portal_intro != "x"


def test_a_teammate_sees_the_state_without_buttons(teammate_client, connection):
    page = teammate_client.get(TAB).content.decode()
    assert connection.account_name in page
    assert 'action="/integrations/pictime/disconnect/"' not in page
    assert "Save defaults" not in page
    assert re.search(r'name="auto_create"[^>]*\sdisabled\s', page)  # the toggle is shown, not usable


@pytest.mark.parametrize(
    "path",
    [
        "/integrations/pictime/disconnect/",
        "/integrations/pictime/auto-create/",
        "/integrations/pictime/defaults/",
    ],
)
def test_an_outsider_cant_touch_another_companys_connection(outsider_client, connection, path):
    outsider_client.post(path, {"auto_create": "on", "portal_intro": "x"})
    connection.refresh_from_db()
    assert connection.is_connected and not connection.auto_create_enabled and connection.portal_intro != "x"
    assert not Connection.objects.filter(company__name="Other Studio").exists()


def test_outsiders_tab_shows_nothing_of_another_company(outsider_client, connection):
    page = outsider_client.get(TAB).content.decode()
    assert connection.account_name not in page
    assert "Not connected" in page


def test_auto_create_toggle_keeps_the_time_it_was_turned_on(owner_client, connection):
    owner_client.post("/integrations/pictime/auto-create/", {"auto_create": "on"})
    connection.refresh_from_db()
    first_on = connection.auto_create_enabled_at
    assert connection.auto_create_enabled and first_on
    owner_client.post("/integrations/pictime/auto-create/", {"auto_create": "on"})  # already on
    connection.refresh_from_db()
    assert connection.auto_create_enabled_at == first_on
    owner_client.post("/integrations/pictime/auto-create/", {})
    connection.refresh_from_db()
    assert not connection.auto_create_enabled


def test_auto_create_needs_a_connection(owner_client, company):
    response = owner_client.post("/integrations/pictime/auto-create/", {"auto_create": "on"}, follow=True)
    assert "Connect Pic-Time before turning on Auto-create galleries." in messages_of(response)
    assert not Connection.objects.exists()


def test_defaults_are_read_from_the_account_and_saved(owner_client, connection):
    assert connection.brands and connection.presets
    assert connection.default_brand_id == connection.brands[0]["id"]
    brand, preset = connection.brands[-1]["id"], connection.presets[-1]["id"]
    owner_client.post(
        "/integrations/pictime/defaults/",
        {"default_brand_id": brand, "default_preset_id": preset, "portal_intro": "Here are your photos!"},
    )
    connection.refresh_from_db()
    assert (connection.default_brand_id, connection.default_preset_id) == (brand, preset)
    assert connection.portal_intro == "Here are your photos!"


def test_defaults_refuse_a_brand_the_account_doesnt_have(owner_client, connection):
    before = connection.default_brand_id
    response = owner_client.post(
        "/integrations/pictime/defaults/", {"default_brand_id": "nope", "portal_intro": "x"}, follow=True
    )
    assert any(m.startswith("Brand: Select a valid choice") for m in messages_of(response))
    connection.refresh_from_db()
    assert connection.default_brand_id == before and connection.portal_intro != "x"


def test_disconnect_revokes_the_grant_and_keeps_links_inactive(owner_client, connection, project, sandbox):
    link = make_link(connection, project)
    refresh_token = connection.refresh_token
    response = owner_client.post("/integrations/pictime/disconnect/", follow=True)
    assert any("Pic-Time was disconnected" in m for m in messages_of(response))
    connection.refresh_from_db()
    link.refresh_from_db()
    assert connection.status == CompanyIntegration.Status.DISCONNECTED
    assert connection.refresh_token == "" and connection.access_token == ""
    assert not link.is_active
    # Pic-Time says the grant is gone: the old refresh token is refused.
    from pictime.errors import NeedsReconnection
    from pictime.oauth import oauth_client

    with pytest.raises(NeedsReconnection):
        oauth_client().refresh(refresh_token)
    assert "Connect" in response.content.decode()


def test_reconnecting_the_same_account_reactivates_links(
    owner_client, connection, project, sandbox, pictime_account
):
    link = make_link(connection, project)
    owner_client.post("/integrations/pictime/disconnect/")
    query = approve(owner_client, sandbox, pictime_account, pictime_settings_of(owner_client))
    owner_client.get(CALLBACK, query)
    link.refresh_from_db()
    assert link.is_active
    assert Connection.objects.get().is_connected


def test_connecting_another_account_leaves_old_links_inactive_and_says_so(
    owner_client, connection, project, sandbox
):
    link = make_link(connection, project)
    other = sandbox.create_account(
        name="Second Account", email=f"second-{connection.pk}-{link.pk}@pictime.test"
    )
    query = approve(owner_client, sandbox, other, pictime_settings_of(owner_client))
    response = owner_client.get(CALLBACK, query, follow=True)
    assert any("different Pic-Time account" in m for m in messages_of(response))
    link.refresh_from_db()
    assert not link.is_active
    assert Connection.objects.get().account_name == "Second Account"
    assert "1 gallery link from another Pic-Time account is inactive" in response.content.decode()


def pictime_settings_of(_http):
    from django.conf import settings

    return settings
