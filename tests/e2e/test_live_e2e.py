"""The open workspace updates itself, measured in Chromium: a webhook from Pic-Time shows in the
panel within 2 s, a first payment's auto-created gallery within 3 s, with no reload; and the poll
pauses while the tab is hidden."""

import datetime
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.payments.services import record_payment
from pictime.services.connection import set_auto_create
from tests.factories import link_gallery

pytestmark = pytest.mark.e2e


def polls(page):
    """Counts the workspace's polls."""
    seen = []
    page.on("request", lambda r: "/galleries/live/" in r.url and seen.append(time.monotonic()))
    return seen


def set_hidden(page, hidden: bool):
    """The tab goes behind another one (or comes back to the front)."""
    page.evaluate(
        """(hidden) => {
            Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
            const state = hidden ? "hidden" : "visible";
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


@pytest.mark.django_db(transaction=True)
def test_a_webhook_shows_in_the_open_panel_within_2_seconds(
    page, live_server, login_in_browser, pictime_settings, connection, sandbox, pictime_account, project
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link_gallery(connection, project, gallery)
    sandbox.add_photos(gallery["id"], 25)
    login_in_browser(page, "ada@lumen.test")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    wedding = page.get_by_role("region", name="Pic-Time Galleries").get_by_role(
        "listitem", name="Bella & Ben Wedding"
    )
    expect(wedding).to_contain_text("Offline")
    page.wait_for_timeout(1200)  # the first polls have found nothing new

    sent = time.monotonic()
    sandbox.publish(gallery["id"])  # Pic-Time sends its webhooks to the live server
    expect(wedding.get_by_text("Online", exact=True)).to_be_visible(timeout=5000)
    expect(wedding).to_contain_text("25 images")
    elapsed = time.monotonic() - sent
    print(f"\nwebhook sent → panel shows it: {elapsed:.2f} s")
    assert elapsed < 2.0
    expect(wedding.get_by_role("link", name="View gallery")).to_be_enabled()
    expect(page.locator("#activity")).not_to_contain_text("Gallery ready email")  # the feed: on reload


@pytest.mark.django_db(transaction=True)
def test_a_first_payment_s_gallery_shows_in_the_open_workspace_within_3_seconds(
    page, live_server, login_in_browser, pictime_settings, connection, installment, sandbox
):
    set_auto_create(connection, True)
    project = installment.invoice.project
    login_in_browser(page, "ada@lumen.test")
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    panel = page.get_by_role("region", name="Pic-Time Galleries")
    expect(panel.get_by_text("No galleries linked yet.")).to_be_visible()

    paid = time.monotonic()
    record_payment(
        installment=installment,
        amount=Decimal("1000.00"),
        method="card",
        paid_at=datetime.datetime.now(datetime.UTC),
    )
    expect(panel.get_by_role("listitem", name="Bella & Ben Wedding")).to_contain_text("Offline", timeout=6000)
    elapsed = time.monotonic() - paid
    print(f"\nfirst payment → gallery in the open workspace: {elapsed:.2f} s")
    assert elapsed < 3.0


@pytest.mark.django_db(transaction=True)
def test_polling_pauses_while_the_tab_is_hidden_and_while_a_form_is_open(
    page, live_server, login_in_browser, pictime_settings, connection, project
):
    login_in_browser(page, "ada@lumen.test")
    seen = polls(page)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.wait_for_timeout(2500)
    assert len(seen) >= 2

    # Hidden (another tab in front): no polls.
    set_hidden(page, True)
    page.wait_for_timeout(300)
    count = len(seen)
    page.wait_for_timeout(2500)
    assert len(seen) == count

    # Visible again: it polls at once, then every second.
    set_hidden(page, False)
    page.wait_for_timeout(500)
    assert len(seen) > count

    # A form open in the panel (Add gallery) is never replaced under the photographer's hands.
    panel = page.get_by_role("region", name="Pic-Time Galleries")
    panel.get_by_role("button", name="Add gallery").click()
    expect(panel.get_by_role("button", name="Create a new Pic-Time gallery")).to_be_visible()
    page.wait_for_timeout(300)
    count = len(seen)
    page.wait_for_timeout(2500)
    assert len(seen) == count
    expect(panel.get_by_role("button", name="Create a new Pic-Time gallery")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_with_the_live_process_the_open_workspace_asks_only_when_something_changed(
    page,
    live_server,
    live_process,
    login_in_browser,
    pictime_settings,
    connection,
    sandbox,
    pictime_account,
    project,
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link_gallery(connection, project, gallery)
    login_in_browser(page, "ada@lumen.test")
    seen = polls(page)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    wedding = page.get_by_role("region", name="Pic-Time Galleries").get_by_role(
        "listitem", name="Bella & Ben Wedding"
    )
    expect(wedding).to_contain_text("Offline")
    page.wait_for_function("() => pictimeStream && pictimeStream.readyState === EventSource.OPEN")
    seen.clear()  # a poll before the stream opened is the fallback's
    page.wait_for_timeout(3000)
    assert seen == []  # nothing changed: the web process is not asked at all

    sent = time.monotonic()
    sandbox.publish(gallery["id"])  # Pic-Time's webhook reaches the live server
    expect(wedding.get_by_text("Online", exact=True)).to_be_visible(timeout=5000)
    elapsed = time.monotonic() - sent
    print(f"\nwebhook sent → panel shows it, told by the live process: {elapsed:.2f} s")
    assert elapsed < 2.0
    page.wait_for_timeout(1500)
    assert 1 <= len(seen) <= 3, seen  # once per change: the webhook's, the ready email's sending and sent

    # Behind another tab: a change waits, and shows as soon as the tab is in front again.
    set_hidden(page, True)
    page.wait_for_timeout(300)  # a poll already under way is counted
    asked = len(seen)
    sandbox.add_photos(gallery["id"], 25)
    page.wait_for_function(  # told of it, while hidden
        "() => pictimeNewest !== document.getElementById('pictime-live').dataset.version", timeout=5000
    )
    page.wait_for_timeout(1500)
    assert len(seen) == asked
    expect(wedding).not_to_contain_text("25 images")
    set_hidden(page, False)
    expect(wedding).to_contain_text("25 images", timeout=1000)

    # The live process goes away: the workspace asks the web process every second, and still shows.
    live_process.stop()
    sandbox.add_photos(gallery["id"], 5)
    expect(wedding).to_contain_text("30 images", timeout=3000)


@pytest.mark.django_db(transaction=True)
def test_a_workspace_whose_project_is_deleted_stops_asking(
    page, live_server, live_process, login_in_browser, pictime_settings, connection, project
):
    login_in_browser(page, "ada@lumen.test")
    seen = polls(page)
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.wait_for_function("() => pictimeStream && pictimeStream.readyState === EventSource.OPEN")

    project.delete()  # from another tab, or by support
    page.wait_for_function("() => pictimeEnded", timeout=5000)  # the poll it was told to make: 404
    asked = len(seen)
    page.wait_for_timeout(2500)
    assert len(seen) == asked
    assert page.evaluate("() => pictimeStream.readyState") == 2  # CLOSED: not opened again either
