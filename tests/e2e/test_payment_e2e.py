"""A photographer signs up, invoices a new client, and the client pays in the portal (Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from crm.payments.models import Payment

pytestmark = pytest.mark.e2e


def fill(page, fields):
    """Types each value into the field of that label, as a person would."""
    for label, value in fields.items():
        page.get_by_label(label).fill(value)


def _fill_card(page, number):
    card = {"Name on card": "Bella Bride", "Card number": number, "Expiry (MM/YY)": "12/39", "CVC": "123"}
    fill(page, card)


def test_client_pays_the_first_installment_in_the_portal(page, browser, live_server):
    # Sign up.
    page.goto(f"{live_server.url}/signup/")
    fill(
        page,
        {
            "Company name": "Lumen Studio",
            "Your name": "Ada Owner",
            "Email": "ada@lumen.test",
            "Password": "correct-horse-battery",
        },
    )
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_have_text("Welcome! Lumen Studio is ready.")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    # A new project for a new client.
    page.get_by_role("link", name="New project").first.click()
    page.get_by_label("New client's name").fill("Bella Bride")
    page.get_by_label("New client's email").fill("bella@example.com")
    page.get_by_label("Project name").fill("Bella & Ben Wedding")
    page.get_by_label("Type").select_option(label="Wedding")
    page.get_by_label("Event date").fill("2027-06-12")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Bella & Ben Wedding", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Project created.")

    # An invoice in two payments, saved and sent.
    page.get_by_role("link", name="New invoice").click()
    page.get_by_label("Invoice title").fill("Wedding collection")
    for n, (amount, due) in enumerate([("1000.00", "2027-01-15"), ("2500.00", "2027-05-01")], start=1):
        fill(page, {f"Payment {n} amount": amount, f"Payment {n} due date": due})
    page.get_by_role("button", name="Save and send").click()
    expect(page.get_by_role("status")).to_have_text("Invoice #0001 created.")
    invoices = page.get_by_role("region", name="Invoices")
    expect(
        invoices.get_by_role("heading", name=re.compile(r"Invoice #0001 · Wedding collection"))
    ).to_contain_text("Sent")
    expect(page.get_by_role("region", name="Payments")).to_contain_text("No payments yet.")

    # The client portal's private link, opened by the client in their own browser.
    portal_url = page.get_by_label("Client portal link").input_value()
    assert portal_url.startswith(f"{live_server.url}/portal/")
    client_context = browser.new_context()
    try:
        portal = client_context.new_page()
        portal.goto(portal_url)
        expect(portal.get_by_role("heading", name="Bella & Ben Wedding")).to_be_visible()
        expect(portal.get_by_text("Hello Bella!")).to_be_visible()
        portal.get_by_role("link", name="Pay payment 1 of invoice #0001").click()
        expect(portal.get_by_role("heading", name="Pay $1,000.00")).to_be_visible()
        _fill_card(portal, "4242 4242 4242 4242")
        portal.get_by_role("button", name="Pay $1,000.00").click()
        expect(portal.get_by_role("status")).to_have_text("Thank you! Your payment was received.")
        rows = portal.get_by_role("row")
        expect(rows.filter(has_text="Payment 1")).to_contain_text("Paid")
        expect(
            rows.filter(has_text="Payment 2").get_by_role("link", name="Pay payment 2 of invoice #0001")
        ).to_be_visible()
    finally:
        client_context.close()

    # Back in the photographer's workspace.
    page.reload()
    payments = page.get_by_role("region", name="Payments")
    expect(payments).to_contain_text("$1,000.00")
    expect(payments).to_contain_text("Card ···· 4242")
    expect(payments).to_contain_text("#0001, payment 1")
    expect(page.get_by_role("region", name="Activity")).to_contain_text(
        "Payment received: $1,000.00 by Card (invoice #0001, payment 1)"
    )
    assert Payment.objects.count() == 1


def test_a_declined_card_says_so_and_records_nothing(
    owner, invoice, project, page, browser, live_server, login_in_browser
):
    client_context = browser.new_context()
    try:
        portal = client_context.new_page()
        portal.goto(live_server.url + project.get_portal_url())
        portal.get_by_role("link", name="Pay payment 1 of invoice #0001").click()
        _fill_card(portal, "4000 0000 0000 0002")
        portal.get_by_role("button", name="Pay $1,000.00").click()
        expect(portal.get_by_role("alert")).to_have_text(
            "Your card was declined. Nothing was charged. Try another card."
        )
        # The name stays; the card's number and CVC are not sent back in the page.
        expect(portal.get_by_label("Name on card")).to_have_value("Bella Bride")
        expect(portal.get_by_label("Card number")).to_have_value("")
        expect(portal.get_by_label("CVC")).to_have_value("")
        portal.get_by_role("link", name="Back").click()
        expect(portal.get_by_role("link", name="Pay payment 1 of invoice #0001")).to_be_visible()
    finally:
        client_context.close()

    assert Payment.objects.count() == 0
    login_in_browser(page, "ada@lumen.test")
    page.goto(live_server.url + project.get_absolute_url())
    expect(page.get_by_role("region", name="Payments")).to_contain_text("No payments yet.")
    expect(page.get_by_role("region", name="Activity")).to_contain_text(
        "Card payment declined: Your card was declined."
    )
