"""In a browser: the client's first payment creates the Pic-Time gallery; publishing it shows it in the
client portal; an order placed in Pic-Time shows in the project's photo sales, and a refund lowers them.

The sandbox plays Pic-Time over HTTP and sends its webhooks to the live server.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from pictime.models import GalleryLink
from pictime.services.connection import set_auto_create

pytestmark = pytest.mark.e2e


def reload_until(page, locator, timeout=20):
    """Reloads the page until the locator is visible (bounded): webhooks arrive in their own time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.count() and locator.first.is_visible():
            return
        time.sleep(0.5)
        page.reload()
    expect(locator.first).to_be_visible(timeout=1000)


@pytest.mark.django_db(transaction=True)
def test_first_payment_to_gallery_to_portal_to_photo_sales(
    live_server, pictime_settings, connection, owner, installment, sandbox, browser, page, login_in_browser
):
    set_auto_create(connection, True)
    project = installment.invoice.project

    # The client pays in the portal, in a browser of their own.
    client_context = browser.new_context()
    portal = client_context.new_page()
    portal.goto(live_server.url + project.get_portal_url())
    expect(portal.get_by_role("heading", name="Galleries")).to_have_count(0)
    portal.get_by_role("link", name=re.compile(r"^Pay payment 1 of invoice")).click()
    portal.get_by_label("Name on card").fill("Bella Bride")
    portal.get_by_label("Card number").fill("4242 4242 4242 4242")
    portal.get_by_label("Expiry (MM/YY)").fill("12/30")
    portal.get_by_label("CVC").fill("123")
    portal.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(portal.get_by_text("Thank you! Your payment was received.")).to_be_visible()

    # The photographer sees the new, offline gallery in the workspace panel.
    login_in_browser(page, owner.email)
    page.goto(live_server.url + project.get_absolute_url())
    panel = page.get_by_role("region", name="Pic-Time Galleries")
    reload_until(page, panel.get_by_text("Offline", exact=True))
    expect(panel.get_by_text("Bella & Ben Wedding", exact=True)).to_be_visible()
    expect(page.get_by_text("Pic-Time gallery created: Bella & Ben Wedding (offline)")).to_be_visible()
    link = GalleryLink.objects.get(project=project)
    assert sandbox.stats(connection.account_id)["galleries"] == 1

    # Published in Pic-Time: the client portal links to it.
    published = sandbox.publish(link.gallery_id)
    galleries = portal.get_by_role("region", name="Galleries")
    portal.goto(live_server.url + project.get_portal_url())
    reload_until(portal, galleries.get_by_role("link", name="Bella & Ben Wedding"))
    expect(galleries.get_by_role("link", name="Bella & Ben Wedding")).to_have_attribute(
        "href", published["public_url"]
    )
    reload_until(page, panel.get_by_text("Online", exact=True))

    # A test order in Pic-Time appears under the project's photo sales; a refund lowers the total.
    order = sandbox.place_order(
        link.gallery_id,
        items=[{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 3, "unit_price": "20.00"}],
        customer={"name": "Aunt May", "email": "may@example.com"},
    )
    sales = page.get_by_role("region", name="Photo sales")
    reload_until(page, sales.get_by_role("cell", name=order["number"]))
    row = sales.get_by_role("row").filter(has_text=order["number"])
    expect(row).to_contain_text("Aunt May")
    expect(row).to_contain_text("3 items")
    expect(row).to_contain_text("$60.00")
    expect(row).to_contain_text("Paid")
    expect(sales.get_by_text("Sales total: $60.00")).to_be_visible()

    sandbox.refund_order(order["id"])
    reload_until(page, sales.get_by_text("Sales total: $0.00"))
    expect(row).to_contain_text("Refunded")
    client_context.close()
