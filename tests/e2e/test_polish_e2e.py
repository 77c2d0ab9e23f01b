"""The walkthrough's polish (issue #16, section 3), each as a photographer sees it in Chromium:
View gallery only while clients can open the gallery, a photo sales table that fits its column,
money and dates written one way, counts in the singular, the connection status read once, and a
gallery without photos shown by its initials."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from pictime.models import Connection, GalleryLink, Order
from tests.e2e.pages import connect_in_pictime, open_integrations_tab
from tests.factories import make_link, order_for
from tests.fixtures import PASSWORD
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# One date style everywhere: "Jan 15, 2027" (never "Jan. 15, 2027" nor "2027-01-15").
ONE_DATE_STYLE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$")


# The text's own box (not the element's, which may be clipped) lies inside its table cell.
TEXT_INSIDE_ITS_CELL = """e => {
    const range = document.createRange(); range.selectNodeContents(e);
    const text = range.getBoundingClientRect(), cell = e.closest("td, th").getBoundingClientRect();
    return text.width > 0 && text.left >= cell.left - 0.5 && text.right <= cell.right + 0.5;
}"""


def open_workspace(page, live_server, login_in_browser, project, email="ada@lumen.test"):
    page.set_default_timeout(15_000)
    login_in_browser(page, email)
    page.goto(live_server.url + project.get_absolute_url())
    return page.get_by_role("region", name="Pic-Time Galleries")


def test_view_gallery_opens_only_while_the_gallery_is_online_and_not_expired(
    owner, connection, project, live_server, page, login_in_browser
):
    now = timezone.now()
    online = GalleryLink.Status.ONLINE
    make_link(connection, project, name="Offline gallery", status=GalleryLink.Status.OFFLINE)
    make_link(
        connection,
        project,
        name="Expired gallery",
        status=online,
        expires_at=now - datetime.timedelta(days=2),
    )
    make_link(
        connection, project, name="Live gallery", status=online, expires_at=now + datetime.timedelta(days=30)
    )
    panel = open_workspace(page, live_server, login_in_browser, project)

    offline = panel.get_by_role("listitem", name="Offline gallery")
    expect(offline.get_by_role("link", name="View gallery")).to_have_count(0)
    expect(offline.get_by_role("button", name="View gallery")).to_be_disabled()
    expect(offline.get_by_role("button", name="View gallery")).to_have_attribute(
        "title", "This gallery is offline: View gallery works once you publish it in Pic-Time."
    )
    expect(offline.get_by_role("button", name="View gallery")).to_have_accessible_description(
        "This gallery is offline: View gallery works once you publish it in Pic-Time."
    )

    expired = panel.get_by_role("listitem", name="Expired gallery")
    expect(expired.get_by_role("link", name="View gallery")).to_have_count(0)
    expect(expired.get_by_role("button", name="View gallery")).to_be_disabled()
    expect(expired.get_by_role("button", name="View gallery")).to_have_attribute(
        "title", re.compile("has expired: clients can't open it")
    )
    expect(expired).to_contain_text("Expired")  # not "Online": clients can't open it
    expect(expired).not_to_contain_text("Online")

    live = panel.get_by_role("listitem", name="Live gallery")
    view = live.get_by_role("link", name="View gallery")
    expect(view).to_be_enabled()
    expect(view).to_have_attribute("href", re.compile(r"^https://pictime\.example/g/"))
    expect(view).to_have_attribute("target", "_blank")
    expect(live.get_by_role("button", name="View gallery")).to_have_count(0)


def test_photo_sales_with_a_refund_fit_the_side_column(
    owner, connection, project, live_server, page, login_in_browser
):
    link = make_link(connection, project, name="Wedding day", status=GalleryLink.Status.ONLINE)
    placed = timezone.now() - datetime.timedelta(days=3)
    for n, (status, total) in enumerate(
        [(Order.Status.PAID, "1250.00"), (Order.Status.REFUNDED, "86.40"), (Order.Status.PAID, "9.00")]
    ):
        order_for(
            link,
            total,
            placed + datetime.timedelta(hours=n),
            status,
            customer="Aunt May Longname-Robinson",
            number=f"PT-2026-1000{n}",  # long numbers and names: the column must still fit them
            items=[{"sku": "P", "name": "Print", "quantity": 2, "unit_price": "1.00"}],
        )
    open_workspace(page, live_server, login_in_browser, project)

    sales = page.get_by_role("region", name="Photo sales")
    table = sales.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(4)  # the header and three orders
    expect(table.get_by_role("columnheader", name="Total")).to_be_visible()
    refunded = table.get_by_role("row").filter(has_text="PT-2026-10001")
    expect(refunded.get_by_text("Refunded", exact=True)).to_be_visible()
    expect(refunded).to_contain_text("$86.40")
    expect(sales.get_by_text("Sales total: $1,259.00")).to_be_visible()

    # No horizontal scrolling, in the table nor in its section, and every cell inside the column.
    for box in (table, sales):
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), box
    column = page.locator(".side-col").bounding_box()
    for cell in table.get_by_role("cell").all() + table.get_by_role("columnheader").all():
        cell_box = cell.bounding_box()
        assert (
            column["x"] <= cell_box["x"]
            and cell_box["x"] + cell_box["width"] <= column["x"] + column["width"]
        )

    # The words are whole (not "Statu", "Refun") and each date is on one line.
    for cell in table.get_by_role("cell").all():
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth"), cell.inner_text()
    for word in table.locator(".badge").all() + table.locator(".pt-order-number").all():
        assert word.evaluate(TEXT_INSIDE_ITS_CELL), word.inner_text()
        assert word.evaluate("e => e.getClientRects().length") == 1, word.inner_text()
    expect(table.locator(".badge")).to_have_text(["Paid", "Refunded", "Paid"])
    dates = table.locator("td .help.nowrap")
    expect(dates).to_have_count(3)
    for date in dates.all():
        assert ONE_DATE_STYLE.match(date.inner_text()), date.inner_text()
        line_height = date.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert date.evaluate("e => e.getClientRects().length") == 1
        assert date.bounding_box()["height"] <= line_height + 1, date.inner_text()


def test_money_has_its_currency_and_two_places_and_dates_one_style(
    owner, installment, live_server, page, login_in_browser
):
    project = installment.invoice.project
    page.set_default_timeout(15_000)
    login_in_browser(page, "ada@lumen.test")
    page.goto(live_server.url + project.get_absolute_url())
    invoices = page.get_by_role("region", name="Invoices")
    invoices.get_by_role("row").filter(has_text="Payment 1").get_by_role(
        "link", name="Record payment"
    ).click()

    # A whole amount, typed as people do: written back as money everywhere.
    expect(page.get_by_text("payment 1 of $1,000.00 (paid so far: $0.00)")).to_be_visible()
    page.get_by_label("Amount").fill("450")
    page.get_by_label("Method").select_option(label="Check")
    page.get_by_label("Paid on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Record payment").click()

    expect(page.get_by_role("heading", name=project.name, exact=True)).to_be_visible()
    first = invoices.get_by_role("row").filter(has_text="Payment 1")
    expect(first.get_by_role("cell", name="$450.00", exact=True)).to_be_visible()
    expect(invoices.get_by_text("Partly paid")).to_be_visible()
    payments = page.get_by_role("region", name="Payments")
    expect(payments.get_by_role("cell", name="$450.00", exact=True)).to_be_visible()
    activity = page.locator("#activity")
    expect(activity).to_contain_text("Payment received: $450.00 by Check")
    expect(activity).not_to_contain_text(re.compile(r"\$450(?![.\d])"))

    # Dates in one style: the schedule, the payments, the event date; and so in the client portal.
    today = timezone.localdate()
    expect(first.get_by_role("cell", name="Jan 15, 2027", exact=True)).to_be_visible()
    expect(
        payments.get_by_role("cell", name=f"{today:%b} {today.day}, {today.year}", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Jun 12, 2027")
    page.goto(live_server.url + project.get_portal_url())
    portal_first = page.get_by_role("row").filter(has_text="Payment 1")
    expect(portal_first.get_by_role("cell", name="Jan 15, 2027", exact=True)).to_be_visible()
    expect(portal_first.get_by_role("cell", name="$1,000.00", exact=True)).to_be_visible()
    expect(page.get_by_text("on Jun 12, 2027")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(re.compile(r"[A-Z][a-z]{2,3}\. \d{1,2}, \d{4}"))


def test_sales_total_without_orders_is_money_too(
    owner, connection, project, live_server, page, login_in_browser
):
    make_link(connection, project, name="Wedding day", status=GalleryLink.Status.ONLINE)
    Order.objects.create(
        company=project.company,
        order_id="ord_refunded",
        gallery_id=GalleryLink.objects.get().gallery_id,
        number="PT-1",
        status=Order.Status.REFUNDED,
        currency="USD",
        subtotal=Decimal("40"),
        total=Decimal("40"),
        placed_at=timezone.now(),
        remote_updated_at=timezone.now(),
    )
    open_workspace(page, live_server, login_in_browser, project)
    sales = page.get_by_role("region", name="Photo sales")
    expect(sales.get_by_text("Sales total: $0.00")).to_be_visible()
    expect(sales.get_by_role("row").filter(has_text="PT-1")).to_contain_text("$40.00")


def test_a_support_sync_counts_in_the_singular(owner, connection, linked, live_server, page):
    """Support re-runs a sync in the admin after Pic-Time's webhooks were missed; the worker runs it
    and its sync run reads one of each."""
    get_user_model().objects.create_superuser(username="root@support.test", password=PASSWORD)
    # The webhooks of the fixture's photos and order have landed; then pretend they never came.
    company = owner.membership.company
    assert wait_until(lambda: Order.objects.filter(company=company).exists())
    assert wait_until(lambda: GalleryLink.objects.filter(pk=linked.pk, image_count=5).exists())
    Order.objects.filter(company=company).delete()
    GalleryLink.objects.filter(pk=linked.pk).update(image_count=0, remote_updated_at=linked.remote_updated_at)
    Connection.objects.filter(pk=connection.pk).update(orders_synced_until=None)

    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root@support.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/pictime/connection/")
    page.get_by_role("row").filter(has_text="Lumen Studio").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Re-run a sync now")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("listitem").filter(has_text="Sync queued")).to_be_visible()
    page.get_by_role("link", name="Sync runs").click()
    run = page.get_by_role("row").filter(has_text="Support staff")
    expect(run).to_contain_text("Succeeded")
    expect(run).to_contain_text("1 gallery checked, 1 updated, 1 order stored")
    expect(run).not_to_contain_text(re.compile(r"\b1 (galleries|orders)\b"))


def test_the_connection_status_reads_once(
    owner, pictime_settings, pictime_account, live_server, page, login_in_browser
):
    page.set_default_timeout(15_000)
    login_in_browser(page, "ada@lumen.test")
    connect_in_pictime(page, open_integrations_tab(page), pictime_account)

    # The message says it once; the section's badge says "Connected", then whose account.
    expect(page.get_by_text(f"Connected to Pic-Time as {pictime_account['name']}")).to_have_count(1)
    section = page.locator("#integration-pictime")
    expect(section.get_by_text("Connected", exact=True)).to_have_count(1)
    expect(section).to_contain_text(re.compile(rf"Connected\s+as {re.escape(pictime_account['name'])}"))
    expect(page.locator("body")).not_to_contain_text(re.compile(r"Connected\s+Connected"))
    page.reload()
    expect(page.locator("body")).not_to_contain_text(re.compile(r"Connected\s+Connected"))


def test_a_gallery_without_photos_shows_its_initials(
    owner, connection, project, live_server, page, login_in_browser
):
    make_link(connection, project, name="Bella & Ben Wedding", image_count=0, cover_url="")
    make_link(
        connection,
        project,
        name="Engagement",
        image_count=12,
        cover_url=f"{live_server.url}/static/favicon.ico",
    )
    panel = open_workspace(page, live_server, login_in_browser, project)

    empty = panel.get_by_role("listitem", name="Bella & Ben Wedding")
    expect(empty).to_contain_text("0 images")
    initials = empty.get_by_text("BB", exact=True)
    expect(initials).to_be_visible()
    assert initials.evaluate("e => e.getAttribute('aria-hidden')") == "true"  # the name is read already
    size = initials.bounding_box()
    assert size["width"] >= 32 and size["height"] >= 32  # a placeholder the size of a cover
    expect(empty.locator("img")).to_have_count(0)
    # Not a grey block: the letters stand out from their background.
    colors = initials.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
    assert colors[0] != colors[1]

    with_photos = panel.get_by_role("listitem", name="Engagement")
    expect(with_photos).to_contain_text("12 images")
    expect(with_photos.get_by_text("EN", exact=True)).to_have_count(0)
