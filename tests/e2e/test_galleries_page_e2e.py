"""The Galleries page in Chromium: a studio with galleries in every state and sales over several
months finds the summary, the chart and its table, the top 10, Expiring soon, filters and sorts the
list, exports the CSV and reminds a client."""

import csv
import io

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.pictime.galleries_studio import build_studio, month_moment, other_studio

pytestmark = pytest.mark.e2e


def column(table, index):
    return [
        cell.strip()
        for cell in table.locator(
            f"tbody tr td:nth-child({index}), tbody tr th:nth-child({index})"
        ).all_inner_texts()
    ]


def test_the_studio_reads_its_galleries_page(page, live_server, login_in_browser, company, other_company):
    studio = build_studio(company)
    other_studio(other_company)
    page.set_default_timeout(15_000)
    errors = []  # what the browser refused or failed to load (the browser's own favicon.ico aside)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on(
        "response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
    )
    login_in_browser(page, "ada@lumen.test")
    page.get_by_role("navigation").get_by_role("link", name="Galleries").click()
    expect(page.get_by_role("heading", name="Galleries", exact=True)).to_be_visible()

    # Summary
    expect(page.get_by_test_id("count-online")).to_have_text("4")
    expect(page.get_by_test_id("count-offline")).to_have_text("1")
    expect(page.get_by_test_id("count-expired")).to_have_text("1")
    expect(page.get_by_test_id("count-expiring")).to_have_text("3")
    expect(page.get_by_test_id("sales-month")).to_have_text("€10.00$175.00")
    expect(page.get_by_test_id("sales-year")).to_contain_text("$575.00")

    # The chart is drawn (the script ran under the page's Content-Security-Policy), its table below.
    page.wait_for_function("() => window.Chart && window.Chart.getChart('revenue-chart') !== undefined")
    assert page.evaluate("() => window.Chart.getChart('revenue-chart').data.datasets.length") == 3
    revenue = page.get_by_test_id("revenue-table")
    this_month = timezone.localtime(month_moment(studio.now, 0)).strftime("%b %Y")
    expect(revenue.locator("tbody tr")).to_have_count(12)
    expect(revenue.locator("tbody tr").last).to_have_text(
        f"{this_month}$1,000.00€10.00$175.00", use_inner_text=False
    )

    # Top 10 and Expiring soon, in their order; no other studio's gallery anywhere.
    top = page.get_by_test_id("top-galleries")
    assert column(top, 1) == [
        "Cedar Engagement",
        "Birch Family",
        "Aurora Wedding",
        "Elm Newborn",
        "Grove Mini-session",
    ]
    soon = page.get_by_test_id("expiring-soon")
    assert column(soon, 1) == ["Grove Mini-session", "Aurora Wedding", "Birch Family"]
    expect(page.get_by_text("Secret Other Gallery")).to_have_count(0)

    # A filter, then a sort: both in the URL.
    listing = page.get_by_test_id("all-galleries")
    page.get_by_label("Status").select_option("online")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/galleries/?status=online&within=&q=&sort=expiry")
    assert column(listing, 1) == ["Grove Mini-session", "Aurora Wedding", "Birch Family", "Cedar Engagement"]
    page.get_by_label("Sort by").select_option("-sales")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{live_server.url}/galleries/?status=online&within=&q=&sort=-sales")
    assert column(listing, 1) == ["Cedar Engagement", "Birch Family", "Aurora Wedding", "Grove Mini-session"]

    # Export CSV of the default period (the last 12 months).
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert rows[0][:3] == ["Order number", "Placed on", "Gallery"]
    assert len(rows) - 1 == 9 and "Secret Other Gallery" not in {r[2] for r in rows}
    assert sorted(r[6] for r in rows[1:]).count("Refunded") == 1

    # Remind client, from Expiring soon: back on the same view, with the email sent.
    page.get_by_role("button", name="Remind client: Grove Mini-session").click()
    expect(
        page.get_by_role("status").filter(
            has_text="Reminder for “Grove Mini-session” sent to gus@example.com."
        )
    ).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/galleries/?status=online&within=&q=&sort=-sales")
    assert [m.to for m in mail.outbox] == [["gus@example.com"]]
    page.get_by_role("button", name="Remind client: Grove Mini-session").click()
    expect(page.get_by_role("status").filter(has_text="You can send another one tomorrow.")).to_be_visible()
    assert len(mail.outbox) == 1
    assert [e for e in errors if "Failed to load resource" not in e] == []

    # On a phone, the page needs no sideways scroll (wide tables scroll inside their card).
    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
