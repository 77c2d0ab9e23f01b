"""A reconnection, in Chromium, then the change that shows whether it took: Pic-Time publishes a
gallery and the open workspace shows it Online without a reload. After Pic-Time revoked the grant,
after Disconnect → Connect, and after switching to another Pic-Time account; each time Integrations
shows "Connected" with no error line, and Pic-Time holds exactly one webhook subscription for the
new grant."""

import uuid

import pytest
from playwright.sync_api import expect

from pictime.client import PicTimeClient
from pictime.models import Connection, SyncRun
from pictime.services.sync import sync_links
from tests.e2e.pages import connect_in_pictime, open_integrations_tab
from tests.factories import link_gallery, publication_sent_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def disconnect_in_page(page):
    section = page.locator("#integration-pictime")
    section.get_by_role("button", name="Disconnect").click()
    page.get_by_role("dialog", name="Disconnect Pic-Time?").get_by_role(
        "button", name="Disconnect Pic-Time"
    ).click()
    expect(page.get_by_role("status").first).to_contain_text("Pic-Time was disconnected.")


@pytest.mark.parametrize("how", ["revoked", "disconnect", "switch_account"])
def test_after_a_reconnection_the_open_panel_shows_a_publication_without_a_reload(
    how, owner, project, live_server, pictime_settings, pictime_account, sandbox, page, login_in_browser
):
    page.set_default_timeout(15_000)
    login_in_browser(page, "ada@lumen.test")
    connect_in_pictime(page, open_integrations_tab(page), pictime_account)
    account = pictime_account

    if how == "revoked":
        sandbox.revoke_grants(account["id"])
        run = sync_links(Connection.objects.get(), None, SyncRun.Trigger.SCHEDULE)  # the beat finds out
        assert run.status == SyncRun.Status.FAILED
        page.reload()
        section = page.locator("#integration-pictime")
        expect(section.get_by_role("alert")).to_contain_text("Pic-Time needs to be reconnected.")
        section.get_by_role("button", name="Reconnect").click()
        page.get_by_role("button", name="Approve").click()  # still signed in at Pic-Time
        expect(page.get_by_role("status").first).to_contain_text(
            f"Connected to Pic-Time as {account['name']}"
        )
    elif how == "disconnect":
        disconnect_in_page(page)
        connect_in_pictime(page, page.locator("#integration-pictime"), account)
    else:
        disconnect_in_page(page)
        suffix = uuid.uuid4().hex[:8]
        account = sandbox.create_account(name=f"Second {suffix}", email=f"second-{suffix}@pictime.test")
        page.goto(f"{sandbox.url}/dashboard/")  # out of the first account at Pic-Time
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.goto(f"{live_server.url}/settings/integrations/")
        connect_in_pictime(page, page.locator("#integration-pictime"), account)

    section = page.locator("#integration-pictime")
    expect(section.get_by_text("Connected", exact=True)).to_be_visible()
    expect(section).to_contain_text(account["name"])
    expect(section.locator("p.connected + p.help")).to_have_count(0)  # no error line by the badge
    expect(section).not_to_contain_text("Couldn't subscribe")
    expect(page.get_by_role("status")).not_to_contain_text(["webhook"])

    connection = Connection.objects.get()
    assert [s.id for s in PicTimeClient(sandbox.url, connection.access_token).list_webhooks()] == [
        connection.webhook_id
    ]

    gallery = sandbox.create_gallery(account["id"], name="Bella & Ben Wedding")
    link_gallery(connection, project, gallery)
    page.goto(live_server.url + project.get_absolute_url())
    wedding = page.get_by_role("region", name="Pic-Time Galleries").get_by_role(
        "listitem", name="Bella & Ben Wedding"
    )
    expect(wedding).to_contain_text("Offline")

    sandbox.publish(gallery["id"])
    expect(wedding.get_by_text("Online", exact=True)).to_be_visible(timeout=5000)
    # Pic-Time sent it once, to the new grant's one subscription.
    assert publication_sent_to(sandbox, account["id"], gallery["id"]) == [connection.webhook_id]
