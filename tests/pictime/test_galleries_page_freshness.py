"""The Galleries page keeps what it computed from links and orders, and never shows it stale: each
change a user makes or Pic-Time sends shows on the next view; another company's changes leave our
page's key alone; a warm view costs a fixed, small number of queries."""

import datetime
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from crm.payments.services import record_payment
from pictime.models import touch_company
from pictime.services import galleries, galleries_page
from pictime.services.galleries_freshness import page_version
from tests.factories import event, later, make_connection, make_link, order_for
from tests.pictime.test_galleries_page import PAGE, names, rows, section, text

pytestmark = pytest.mark.django_db


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def list_row(response, name):
    return next(row for row in rows(response, "all-galleries") if row[0] == name)


def test_each_change_shows_on_the_next_view(
    owner_client,
    company,
    project,
    client_person,
    connection,
    sandbox,
    pictime_account,
    send,
    installment,
    django_capture_on_commit_callbacks,
):
    account = pictime_account["id"]
    gallery = sandbox.create_gallery(account, name="Bella & Ben Wedding")
    assert section(owner_client.get(PAGE), "list-count") == "0 galleries"

    link = galleries.link_existing(project, connection, gallery["id"])  # a new link
    assert names(owner_client.get(PAGE)) == ["Bella & Ben Wedding"]
    assert list_row(owner_client.get(PAGE), "Bella & Ben Wedding")[2] == "Offline"

    # Online, closing in 10 days: Pic-Time's webhook changes the link's status and expiry.
    closes = timezone.now() + datetime.timedelta(days=10, hours=1)
    online = later(gallery, 1, status="online", published_at=gallery["updated_at"], expires_at=iso(closes))
    send(event("gallery.updated", online, account, "evt_online"))
    response = owner_client.get(PAGE)
    assert list_row(response, "Bella & Ben Wedding")[2] == "Online"
    assert section(response, "count-online") == "1" and section(response, "count-expiring") == "1"
    assert [row[0] for row in rows(response, "expiring-soon")] == ["Bella & Ben Wedding"]

    # A sale, then its refund, by webhook.
    order = sandbox.place_order(
        gallery["id"], items=[{"sku": "P", "name": "Print", "quantity": 1, "unit_price": "9.00"}]
    )
    send(event("order.created", order, account, "evt_order"))
    response = owner_client.get(PAGE)
    assert section(response, "sales-month") == "$9.00"
    assert list_row(response, "Bella & Ben Wedding")[5:7] == ["1", "$9.00"]
    refunded = sandbox.refund_order(order["id"])
    send(event("order.updated", refunded, account, "evt_refund"))
    response = owner_client.get(PAGE)
    assert section(response, "sales-month") == "$0.00"
    assert list_row(response, "Bella & Ben Wedding")[5:7] == ["1", "—"]

    # Remind client: the reminder goes out and Expiring soon says so.
    remind = f"/galleries/{link.pk}/remind/"
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(remind)
    assert len(mail.outbox) == sent + 1 and "closes on" in mail.outbox[-1].subject
    today = timezone.localdate().strftime("%b %-d")
    assert f"Reminder sent {today}" in section(owner_client.get(PAGE), "expiring-soon")

    # A session payment recorded in the CRM: this month's row of the revenue table.
    record_payment(installment=installment, amount=Decimal("400.00"), method="cash")
    assert rows(owner_client.get(PAGE), "revenue-table")[-1][1] == "$400.00"

    # Client and project renamed in the CRM; the search finds the new names.
    client_person.name = "Bella Groom"
    client_person.save()
    assert list_row(owner_client.get(PAGE), "Bella & Ben Wedding")[1] == "Bella & Ben Wedding Bella Groom"
    project.name = "Bella & Ben, the wedding"
    project.save()
    assert (
        list_row(owner_client.get(PAGE), "Bella & Ben Wedding")[1] == "Bella & Ben, the wedding Bella Groom"
    )
    assert names(owner_client.get(PAGE, {"q": "Groom"})) == ["Bella & Ben Wedding"]

    # The company's locale: money in its style.
    company.locale = "de_DE"
    company.save()
    assert rows(owner_client.get(PAGE), "revenue-table")[-1][1] == "400,00 $"  # (a no-break space)

    # The gallery deleted at Pic-Time, then unlinked.
    deleted = later(online, 2)
    send(event("gallery.deleted", deleted, account, "evt_deleted"))
    assert list_row(owner_client.get(PAGE), "Bella & Ben Wedding")[2] == "Deleted"
    galleries.unlink(link)
    response = owner_client.get(PAGE)
    assert section(response, "list-count") == "0 galleries"
    assert "No online gallery expires within 30 days." in text(response)


def test_a_gallery_passing_its_expiry_shows_expired_at_once(owner_client, company, project):
    connection = make_connection(company)
    now = timezone.now()
    make_link(
        connection,
        project,
        name="Closing soon",
        status="online",
        expires_at=now + datetime.timedelta(minutes=1),
    )
    make_link(
        connection,
        project,
        name="Entering the window",
        status="online",
        expires_at=now + datetime.timedelta(days=30, minutes=2),
    )
    before = galleries_page.page_context(company, galleries_page.Filters(), None, now=now)
    assert [row.state for row in before["rows"]] == ["online", "online"]
    assert (before["summary"]["expired"], before["summary"]["expiring"]) == (0, 1)
    # The same view a moment later, with nothing written: the kept figures were valid until then.
    passed = galleries_page.page_context(
        company, galleries_page.Filters(), None, now=now + datetime.timedelta(minutes=3)
    )
    assert [row.state for row in passed["rows"]] == ["expired", "online"]
    assert (passed["summary"]["expired"], passed["summary"]["expiring"]) == (1, 1)
    assert passed["expiring"][0].name == "Entering the window"


def test_over_http_a_gallery_shows_expired_once_its_time_passed(owner_client, company, project):
    closes = timezone.now() + datetime.timedelta(seconds=2)
    make_link(make_connection(company), project, name="Closing now", status="online", expires_at=closes)
    assert list_row(owner_client.get(PAGE), "Closing now")[2] == "Online"
    assert list_row(owner_client.get(PAGE), "Closing now")[2] == "Online"  # the kept figures
    time.sleep(max(0.0, (closes - timezone.now()).total_seconds()) + 0.05)
    response = owner_client.get(PAGE)
    assert list_row(response, "Closing now")[2] == "Expired" and section(response, "count-expired") == "1"


def test_another_company_s_changes_leave_our_key_alone(
    company, project, other_company, other_project, outsider_client, owner_client
):
    ours = make_connection(company)
    make_link(ours, project, name="Ours")
    theirs_connection = make_connection(other_company)
    theirs = make_link(theirs_connection, other_project, name="Secret Other Gallery")
    owner_client.get(PAGE)
    version = page_version(company)
    order_for(theirs, "99.00", timezone.now())
    touch_company(other_company.pk)
    other_project.client.name = "Renamed elsewhere"
    other_project.client.save()
    other_project.name = "Renamed project elsewhere"
    other_project.save()
    galleries.unlink(theirs)
    make_link(theirs_connection, other_project, name="Another secret")
    assert page_version(company) == version
    page = text(owner_client.get(PAGE))
    assert "Secret" not in page and "elsewhere" not in page and "99.00" not in page
    assert "Another secret" in text(outsider_client.get(PAGE))


def test_a_warm_view_costs_five_queries_however_many_galleries(
    owner_client, company, project, django_assert_num_queries
):
    connection = make_connection(company)
    for count in (1, 60):
        while project.gallery_links.count() < count:
            link = make_link(connection, project, status="online")
            order_for(link, "12.00", timezone.now())
        # Session, user, membership, the page's version, the session payments by month.
        for query in ({}, {"sort": "-sales"}, {"status": "online", "page": "2"}):
            owner_client.get(PAGE, query)
            with django_assert_num_queries(5):
                assert owner_client.get(PAGE, query).status_code == 200
