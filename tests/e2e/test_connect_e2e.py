"""The help article's "Connect your Pic-Time account" steps, literally, in Chromium."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from pictime.models import Connection
from tests.e2e.pages import open_integrations_tab

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_photographer_connects_by_signing_in_and_turns_on_auto_create(
    owner, live_server, pictime_settings, pictime_account, page, login_in_browser
):
    login_in_browser(page, "ada@lumen.test")
    section = open_integrations_tab(page)
    # 3. In the Pic-Time section, click Connect; log in to the Pic-Time account; Approve.
    section.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Sign in to Pic-Time")).to_be_visible()
    page.get_by_label("Email").fill(pictime_account["email"])
    page.get_by_label("Password").fill("pass1234")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Studio CRM wants to access your Pic-Time account")
    ).to_be_visible()
    page.get_by_role("button", name="Approve").click()

    expect(page).to_have_url(re.compile(r"/settings/integrations/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Connected to Pic-Time as {pictime_account['name']}")
    section = page.locator("#integration-pictime")
    expect(section.get_by_text("Connected", exact=True)).to_be_visible()
    expect(section).to_contain_text(pictime_account["name"])

    # Auto-create galleries: toggle ON, reload, still on.
    toggle = section.get_by_role("switch", name="Auto-create galleries")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(page.get_by_role("status")).to_contain_text("Auto-create galleries is ON")
    page.reload()
    expect(
        page.locator("#integration-pictime").get_by_role("switch", name="Auto-create galleries")
    ).to_be_checked()
    connection = Connection.objects.get(company__name="Lumen Studio")
    assert connection.auto_create_enabled and connection.auto_create_enabled_at is not None


def test_photographer_creates_a_pictime_account_on_the_way(
    owner, live_server, pictime_settings, page, login_in_browser
):
    login_in_browser(page, "ada@lumen.test")
    open_integrations_tab(page).get_by_role("button", name="Connect").click()
    # If needed, create … your Pic-Time account.
    page.get_by_role("link", name="Create an account").click()
    studio = f"Ada's Pictures {uuid.uuid4().hex[:6]}"
    page.get_by_label("Studio name").fill(studio)
    page.get_by_label("Email").fill(f"ada-{uuid.uuid4().hex[:6]}@pictime.test")
    page.get_by_label("Password").fill("secret-123")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_contain_text(f"Connected to Pic-Time as {studio}")
    expect(page.locator("#integration-pictime")).to_contain_text(studio)


def test_denying_access_connects_nothing(
    owner, live_server, pictime_settings, pictime_account, page, login_in_browser
):
    login_in_browser(page, "ada@lumen.test")
    open_integrations_tab(page).get_by_role("button", name="Connect").click()
    page.get_by_label("Email").fill(pictime_account["email"])
    page.get_by_label("Password").fill("pass1234")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Deny").click()

    expect(page.get_by_role("status")).to_contain_text(
        "You denied access on Pic-Time, so nothing was connected."
    )
    section = page.locator("#integration-pictime")
    expect(section.get_by_role("button", name="Connect")).to_be_visible()
    expect(section.get_by_text("Connected", exact=True)).to_have_count(0)
    assert not Connection.objects.exists()
