"""The whole help article ("Integrating with Pic-Time"), walked in Chromium as a photographer would,
with what the article leaves to the product: the panel updating itself, and the gallery ready email.
Then the walkthrough's polish, each as a person sees it: the member's disabled settings, the
Disconnect dialog and Auto-create kept across a reconnection, the email turned off."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from crm.payments.services import record_payment
from crm.projects.models import Project
from pictime.models import Connection, GalleryLink
from tests.e2e.pages import connect_in_pictime, open_integrations_tab
from tests.factories import link_gallery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_help_article_from_connecting_to_the_gallery_ready_email(
    owner, installment, live_server, pictime_settings, pictime_account, sandbox, page, login_in_browser
):
    page.set_default_timeout(15_000)
    project = installment.invoice.project
    engagement = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Engagement")
    login_in_browser(page, "ada@lumen.test")

    # Connect your Pic-Time account (steps 1–5).
    section = open_integrations_tab(page)
    connect_in_pictime(page, section, pictime_account)
    section = page.locator("#integration-pictime")
    expect(section.get_by_text("Connected", exact=True)).to_be_visible()
    expect(section).not_to_contain_text("Connected Connected")
    # The gallery ready email is on by default, with a preview.
    expect(section.get_by_role("switch", name="Email clients when a gallery is published")).to_be_checked()
    section.get_by_role("form", name="Gallery ready email").get_by_role("button", name="Preview").click()
    expect(section.get_by_text("Subject:")).to_be_visible()
    expect(section.get_by_test_id("preview-subject")).to_contain_text("is ready")

    # Auto-create galleries: toggle ON.
    section.get_by_role("switch", name="Auto-create galleries").check()
    expect(page.get_by_role("status").first).to_contain_text("Auto-create galleries is ON")

    # The project workspace, open while the client makes the first payment: the gallery appears
    # in Pic-Time Galleries ("Only visible to you") without a reload.
    page.goto(live_server.url + project.get_absolute_url())
    expect(page.get_by_role("heading", name="Only visible to you")).to_be_visible()
    panel = page.get_by_role("region", name="Pic-Time Galleries")
    expect(panel.get_by_text("No galleries linked yet.")).to_be_visible()
    record_payment(
        installment=installment,
        amount=Decimal("1000.00"),
        method="card",
        paid_at=datetime.datetime.now(datetime.UTC),
    )
    wedding = panel.get_by_role("listitem", name="Bella & Ben Wedding")
    expect(wedding).to_contain_text("Offline", timeout=5000)
    expect(wedding).to_contain_text("0 images")
    expect(wedding.get_by_role("button", name="View gallery")).to_be_disabled()
    expect(wedding.get_by_role("button", name="View gallery")).to_have_attribute(
        "title", re.compile("offline: View gallery works once you publish it")
    )
    expect(wedding.get_by_text("BB")).to_be_visible()  # no photos yet: the gallery's initials

    # Manually connect a gallery: + > Select an existing gallery > Connect.
    panel.get_by_role("button", name="Add gallery").click()
    panel.get_by_role("button", name="Select an existing gallery").click()
    panel.get_by_role("button", name="Connect gallery Bella & Ben Engagement").click()
    expect(panel.get_by_role("status").first).to_contain_text("“Bella & Ben Engagement” is now linked")
    expect(panel.get_by_role("list", name="Linked Pic-Time galleries").get_by_role("listitem")).to_have_count(
        2
    )

    # Manage: publish the wedding gallery in Pic-Time; the open panel shows it online, with its
    # images, and View gallery opens it. The client gets one gallery ready email.
    link = GalleryLink.objects.get(project=project, origin="auto_created")
    sandbox.add_photos(link.gallery_id, 30)
    published = sandbox.publish(link.gallery_id)
    expect(wedding.get_by_text("Online", exact=True)).to_be_visible(timeout=5000)
    expect(wedding).to_contain_text("30 images")
    expect(wedding.get_by_role("link", name="View gallery")).to_have_attribute(
        "href", published["public_url"]
    )
    expect(wedding.get_by_role("link", name="Edit in Pic-Time")).to_have_attribute("target", "_blank")
    expect(wedding).to_contain_text("Gallery ready email sent to bella@example.com")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["bella@example.com"] and "Bella & Ben Wedding" in email.subject
    assert published["public_url"] in email.body and project.get_portal_url() in email.body
    project.refresh_from_db()
    assert project.stage == Project.Stage.DELIVERED

    # Sync refreshes the details; Unlink asks first, in the page.
    engaged = panel.get_by_role("listitem", name="Bella & Ben Engagement")
    engaged.get_by_role("button", name="Sync").click()
    expect(panel.get_by_role("status").first).to_contain_text("is up to date")
    panel.get_by_role("listitem", name="Bella & Ben Engagement").get_by_role("button", name="Unlink").click()
    dialog = page.get_by_role("dialog", name="Unlink “Bella & Ben Engagement”?")
    expect(dialog).to_contain_text("Nothing is deleted in Pic-Time")
    dialog.get_by_role("button", name="Unlink gallery").click()
    expect(panel.get_by_role("list", name="Linked Pic-Time galleries").get_by_role("listitem")).to_have_count(
        1
    )
    assert sandbox.stats(pictime_account["id"])["galleries"] == 2 and engagement

    # The activity feed and the client portal.
    page.reload()
    activity = page.locator("#activity")
    expect(activity).to_contain_text("Gallery ready email sent to bella@example.com")
    expect(activity).to_contain_text("Stage changed to Delivered")
    expect(page.get_by_role("region", name="Invoices")).to_contain_text("Partly paid")
    page.goto(live_server.url + project.get_portal_url())
    expect(
        page.get_by_role("region", name="Galleries").get_by_role("link", name="Bella & Ben Wedding")
    ).to_have_attribute("href", published["public_url"])


def test_a_member_reads_why_the_settings_are_disabled(
    teammate, live_server, connection, page, login_in_browser
):
    login_in_browser(page, "tom@lumen.test")
    section = open_integrations_tab(page)
    expect(section.get_by_role("switch", name="Auto-create galleries")).to_be_disabled()
    expect(section.get_by_role("switch", name="Email clients when a gallery is published")).to_be_disabled()
    expect(section.get_by_text("Only the owner can change this.").first).to_be_visible()
    expect(section.get_by_role("button", name="Disconnect")).to_have_count(0)


def test_disconnect_asks_in_the_page_and_a_reconnection_keeps_auto_create(
    owner, live_server, pictime_settings, pictime_account, sandbox, page, login_in_browser
):
    login_in_browser(page, "ada@lumen.test")
    section = open_integrations_tab(page)
    connect_in_pictime(page, section, pictime_account)
    section = page.locator("#integration-pictime")
    section.get_by_role("switch", name="Auto-create galleries").check()
    expect(page.get_by_role("status").first).to_contain_text("Auto-create galleries is ON")

    section = page.locator("#integration-pictime")
    section.get_by_role("button", name="Disconnect").click()
    dialog = page.get_by_role("dialog", name="Disconnect Pic-Time?")
    expect(dialog).to_contain_text("Your settings are kept for when you connect the same account again.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert Connection.objects.get().is_connected

    section.get_by_role("button", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect Pic-Time").click()
    expect(page.get_by_role("status").first).to_contain_text("Pic-Time was disconnected.")
    expect(page.get_by_role("status").first).to_contain_text("Your settings (Auto-create galleries")

    connect_in_pictime(page, page.locator("#integration-pictime"), pictime_account)
    expect(page.get_by_role("status").nth(1)).to_contain_text("Auto-create galleries is still ON")
    expect(
        page.locator("#integration-pictime").get_by_role("switch", name="Auto-create galleries")
    ).to_be_checked()


def test_turned_off_no_gallery_ready_email_is_sent(
    owner,
    live_server,
    pictime_settings,
    connection,
    project,
    sandbox,
    pictime_account,
    page,
    login_in_browser,
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link_gallery(connection, project, gallery)
    login_in_browser(page, "ada@lumen.test")
    section = open_integrations_tab(page)
    section.get_by_role("switch", name="Email clients when a gallery is published").uncheck()
    section.get_by_role("button", name="Save email").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Email clients when a gallery is published is OFF"
    )

    page.goto(live_server.url + project.get_absolute_url())
    wedding = page.get_by_role("region", name="Pic-Time Galleries").get_by_role(
        "listitem", name="Bella & Ben Wedding"
    )
    sandbox.publish(gallery["id"])
    expect(wedding.get_by_text("Online", exact=True)).to_be_visible(timeout=5000)
    expect(wedding).to_contain_text("No gallery ready email: turned off in integrations")
    assert mail.outbox == []
