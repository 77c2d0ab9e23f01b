"""The pages a photographer and their client use, walked in Chromium on a laptop (1280×800) and on a
phone (390×844): nothing scrolls sideways, money reads "$1,500.00", an unpaid payment past its due
date says Overdue (workspace, Projects list, portal), the gallery ready email's preview shows the
email, the favicon loads, the portal link has Copy link, and the gallery actions have visible labels.

Screenshots of every page land in tests/e2e/screens/ (git-ignored) for the next reviewer to look at.
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.payments.services import create_invoice, send_invoice
from pictime.models import Order
from tests.factories import link_gallery
from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).parent / "screens"
LAPTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture
def studio(owner, project, connection, sandbox, pictime_account):
    """A project with a payment ten days overdue and one due later, a published gallery with photos
    and two photo sales, and in Pic-Time an expired gallery the photographer could still connect."""
    today = timezone.localdate()
    send_invoice(
        create_invoice(
            project=project,
            title="Wedding collection",
            schedule=[
                (Decimal("1500.00"), today - datetime.timedelta(days=10)),
                (Decimal("2500.00"), today + datetime.timedelta(days=60)),
            ],
        )
    )
    account = pictime_account["id"]
    gallery = sandbox.create_gallery(account, name="Bella & Ben Wedding", event_date="2027-06-12")
    sandbox.add_photos(gallery["id"], 6)
    link = link_gallery(connection, project, sandbox.publish(gallery["id"]))
    for n, total in enumerate(("148.00", "1250.00")):
        Order.objects.create(
            company=project.company,
            order_id=f"ord_product_{n}",
            gallery_id=link.gallery_id,
            number=f"PT-2026-2000{n}",
            status=Order.Status.PAID,
            currency="USD",
            subtotal=Decimal(total),
            total=Decimal(total),
            items=[{"sku": "P", "name": "Print", "quantity": 1, "unit_price": total}],
            customer_name="Aunt May",
            placed_at=timezone.now() - datetime.timedelta(days=n + 1),
            remote_updated_at=timezone.now(),
        )
    old = sandbox.create_gallery(pictime_account["id"], name="Bella engagement", event_date="2026-03-02")
    sandbox.set_expiry(old["id"], "2026-06-01T00:00:00Z")
    return project


def fits(page, name, viewport, full_page=True):
    """No sideways scroll on this page at this width, and its screenshot for people to look at."""
    width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= viewport["width"], f"{name} is {width} px wide on a {viewport['width']} px screen"
    SCREENS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENS / f"{name}-{viewport['width']}.png", full_page=full_page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_photographers_and_the_clients_pages(studio, viewport, browser, live_server):
    project, base = studio, live_server.url
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{base}/login/")
    fits(page, "login", viewport)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(base + icon).status == 200
    assert page.request.get(f"{base}/favicon.ico").status == 200  # redirected to the same icon
    page.get_by_label("Email").fill("ada@lumen.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Projects: the overdue payment shows in the list, as money.
    row = page.get_by_role("row").filter(has_text=project.name)
    expect(row.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(row).to_contain_text("$1,500.00")
    fits(page, "projects", viewport)

    # The workspace: Overdue and what is due now, money formatted, the portal link, labelled actions.
    page.goto(base + project.get_absolute_url())
    invoices = page.get_by_role("region", name="Invoices")
    overdue = invoices.get_by_role("row").filter(has_text="Payment 1")
    expect(overdue.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(overdue).to_contain_text("$1,500.00")
    expect(invoices.get_by_text("$1,500.00 overdue")).to_be_visible()
    expect(invoices.get_by_role("row").filter(has_text="Payment 2")).not_to_contain_text("Overdue")
    expect(page.get_by_role("region", name="Photo sales")).to_contain_text("Sales total: $1,398.00")
    expect(page.locator("body")).not_to_contain_text(re.compile(r"\d USD"))

    copy = page.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    portal_url = page.get_by_label("Client portal link").input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == portal_url
    expect(page.get_by_role("link", name="Open", exact=True)).to_have_attribute("href", portal_url)
    page.get_by_role("button", name="Revoke link…").click()  # asks first; Cancel keeps the link
    expect(page.get_by_role("dialog", name="Revoke the portal link?")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_label("Client portal link")).to_have_value(portal_url)

    gallery = page.get_by_role("listitem", name="Bella & Ben Wedding")
    for label in ("View", "Edit", "Sync", "Unlink"):
        action = gallery.locator(".pt-actions").get_by_text(label, exact=True)
        expect(action).to_be_visible()
        box = action.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], label
    fits(page, "workspace", viewport)

    # Add gallery opens a dialog with room for the results; an expired gallery says so, dates labelled.
    page.get_by_role("button", name="Add gallery").click()
    page.get_by_role("button", name="Select an existing gallery").click()
    results = page.get_by_role("list", name="Pic-Time galleries")
    engagement = results.get_by_role("listitem").filter(has_text="Bella engagement")
    expect(engagement.get_by_text("Expired", exact=True)).to_be_visible()
    expect(engagement).to_contain_text("Event Mar 2, 2026")
    dialog = page.get_by_role("dialog", name="Add a Pic-Time gallery")
    assert dialog.bounding_box()["width"] >= min(600, viewport["width"] - 40)
    fits(page, "add-gallery", viewport, full_page=False)  # the dialog, over the page as people see it
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)

    # Record payment: Paid on is today, Cancel is not against the button.
    overdue.get_by_role("link", name="Record payment").click()
    expect(page.get_by_label("Paid on")).to_have_value(timezone.localdate().isoformat())
    expect(page.get_by_text("payment 1 of $1,500.00 (paid so far: $0.00)")).to_be_visible()
    cancel = page.get_by_role("link", name="Cancel").bounding_box()
    submit = page.get_by_role("button", name="Record payment").bounding_box()
    # On one line on a laptop as on a phone, the button at least 24 px right of Cancel.
    assert submit["y"] < cancel["y"] + cancel["height"] and cancel["y"] < submit["y"] + submit["height"]
    assert submit["x"] - (cancel["x"] + cancel["width"]) >= 24
    fits(page, "record-payment", viewport)

    page.goto(f"{base}/projects/new/")
    fits(page, "new-project", viewport)
    page.goto(f"{base}/projects/{project.pk}/invoices/new/")
    fits(page, "new-invoice", viewport)
    page.goto(f"{base}/settings/team/")
    fits(page, "team", viewport)
    page.goto(f"{base}/clients/")
    expect(page.get_by_role("link", name="Bella Bride")).to_be_visible()
    fits(page, "clients", viewport)

    # The gallery ready email's preview shows the email inside its frame, and so does the expiry
    # reminder's, which shares it.
    page.goto(f"{base}/settings/integrations/")
    reminder = page.get_by_role("form", name="Expiry reminder email")
    reminder.get_by_role("button", name="Preview").click()
    reminder_frame = reminder.frame_locator("iframe[title='Email preview']")
    expect(reminder_frame.get_by_text("A reminder that your gallery closes on")).to_be_visible()
    expect(reminder_frame.get_by_role("link", name="Open your gallery")).to_be_visible()
    ready = page.get_by_role("form", name="Gallery ready email")
    ready.get_by_role("button", name="Preview").click()
    frame = ready.frame_locator("iframe[title='Email preview']")
    expect(frame.get_by_text("Hi Bella,")).to_be_visible()
    expect(frame.get_by_text("Your photos are ready!")).to_be_visible()
    expect(frame.get_by_role("link", name="View your gallery")).to_be_visible()
    ready.locator("iframe[title='Email preview']").scroll_into_view_if_needed()
    shown = ready.locator("iframe[title='Email preview']").bounding_box()
    email = frame.locator("table table").first.bounding_box()  # the email's card fits the frame
    assert email["x"] >= shown["x"] and email["x"] + email["width"] <= shown["x"] + shown["width"]
    fits(page, "integrations-preview", viewport)
    page.goto(f"{base}/settings/")
    fits(page, "settings", viewport)

    # The client, in a browser of their own: greeted by first name, Overdue, money, and the gallery.
    client = browser.new_context(viewport=viewport).new_page()
    client.set_default_timeout(15_000)
    client.goto(portal_url)
    expect(client.get_by_text("Hello Bella!")).to_be_visible()
    invoices = client.get_by_role("region", name="Invoices")
    expect(invoices.get_by_text("Overdue", exact=True).first).to_be_visible()
    expect(invoices.get_by_text("$1,500.00 is overdue")).to_be_visible()
    expect(client.get_by_role("region", name="Galleries")).to_contain_text("Bella & Ben Wedding")
    cover = client.get_by_role("region", name="Galleries").locator("img").first
    expect(cover).to_have_attribute("src", re.compile(r"\.png$"))
    client.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=cover.element_handle())
    assert client.request.get(base + icon).status == 200
    fits(client, "portal", viewport)
    client.get_by_role("link", name="Pay payment 1 of invoice #0001").click()
    expect(client.get_by_role("heading", name="Pay $1,500.00")).to_be_visible()
    fits(client, "portal-pay", viewport)
    client.context.close()
    context.close()


def test_support_sees_status_and_errors_and_webhook_bodies_wrap_at_1280(
    connection, project, browser, live_server
):
    from django.contrib.auth import get_user_model

    from integrations.models import CompanyIntegration
    from pictime.models import WebhookDelivery
    from tests.factories import make_link

    get_user_model().objects.create_superuser(username="root@support.test", password=PASSWORD)
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        last_error="Pic-Time refused the refresh token (invalid_grant): reconnect in Integrations " * 3
    )
    for n in range(3):
        make_link(connection, project, name=f"Gallery {n} " + "with-a-very-long-name-" * 4)
    delivery = WebhookDelivery.objects.create(
        connection=connection,
        event_id="evt_long",
        event_type="gallery.updated",
        outcome="accepted",
        body='{"data":{"description":"' + "x" * 3000 + '"}}',
    )
    page = browser.new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root@support.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    for name, url in (
        ("admin-connections", "/admin/pictime/connection/"),
        ("admin-gallery-links", "/admin/pictime/gallerylink/"),
        ("admin-webhook-delivery", f"/admin/pictime/webhookdelivery/{delivery.pk}/change/"),
    ):
        page.goto(live_server.url + url)
        fits(page, name, LAPTOP)
        # Status and the error in view, not scrolled away inside the list's own box (later columns may).
        if page.locator("#result_list").count():
            shown = page.locator("#changelist .results").bounding_box()
            for header in ("Status", re.compile("error", re.I)):
                box = page.locator("#result_list").get_by_role("columnheader", name=header).bounding_box()
                assert box["x"] + box["width"] <= shown["x"] + shown["width"] + 1, (url, header)
    page.context.close()
