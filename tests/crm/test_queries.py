"""The workspace page's queries don't grow with the project's invoices, payments and activity."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.payments.services import record_payment
from tests.helpers import sent_invoice

pytestmark = pytest.mark.django_db


def _add_paid_invoices(project, n):
    for i in range(n):
        schedule = [("100.00", datetime.date(2027, 1, 1)), ("200.00", datetime.date(2027, 2, 1))]
        invoice = sent_invoice(project, f"Collection {i}", *schedule)
        for inst in invoice.installments.all():
            record_payment(installment=inst, amount=Decimal("50.00"), method="cash")


def _workspace_queries(http, project):
    with CaptureQueriesContext(connection) as ctx:
        r = http.get(reverse("project_workspace", args=[project.pk]))
    assert r.status_code == 200
    return r, len(ctx)


def test_workspace_queries_dont_grow_with_invoices_and_payments(owner_client, project):
    _add_paid_invoices(project, 1)
    r, one = _workspace_queries(owner_client, project)
    assert r.content.decode().count('class="invoice"') == 1

    _add_paid_invoices(project, 4)
    r, five = _workspace_queries(owner_client, project)
    page = r.content.decode()
    assert page.count('class="invoice"') == 5
    payments = page[page.index('id="payments"') :]
    assert payments.count('<td data-label="Amount">$50.00</td>') == 10  # each payment in the Payments table
    assert five == one, (one, five)


def test_workspace_stays_under_a_query_budget(owner_client, project, django_assert_max_num_queries):
    _add_paid_invoices(project, 5)
    # Session, user, membership; the project (with its client and company); invoices, installments,
    # payments; the activity feed; the panel's links, connection status and auto-create job; the
    # version the panel polls with (one query).
    with django_assert_max_num_queries(12):
        assert owner_client.get(reverse("project_workspace", args=[project.pk])).status_code == 200


def test_payments_table_lists_every_invoices_payments_newest_first(owner_client, project):
    first = sent_invoice(project, "Session", ("100.00", datetime.date(2027, 1, 1)))
    second = sent_invoice(
        project, "Album", ("300.00", datetime.date(2027, 1, 1)), ("400.00", datetime.date(2027, 2, 1))
    )
    day = datetime.datetime(2026, 11, 2, 12, tzinfo=datetime.UTC)
    record_payment(installment=first.installments.get(), amount=Decimal("100.00"), method="cash", paid_at=day)
    album = list(second.installments.all())
    record_payment(
        installment=album[1], amount=Decimal("40.00"), method="cash", paid_at=day + datetime.timedelta(days=2)
    )
    record_payment(
        installment=album[0], amount=Decimal("30.00"), method="cash", paid_at=day + datetime.timedelta(days=1)
    )

    page = owner_client.get(reverse("project_workspace", args=[project.pk])).content.decode()
    table = page[page.index('id="payments"') : page.index("</table>", page.index('id="payments"'))]
    rows = re.findall(
        r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>.*?</td><td[^>]*>(.*?)</td></tr>", table
    )
    assert rows == [
        ("Nov 4, 2026", "$40.00", f"{second.display_number}, payment 2"),
        ("Nov 3, 2026", "$30.00", f"{second.display_number}, payment 1"),
        ("Nov 2, 2026", "$100.00", f"{first.display_number}, payment 1"),
    ]


def test_a_project_without_invoices_needs_no_payment_queries(owner_client, project):
    r, count = _workspace_queries(owner_client, project)
    assert "No invoices yet." in r.content.decode()
    assert "No payments yet." in r.content.decode()
    sent_invoice(project, "Prints", ("80.00", datetime.date(2027, 1, 1)))
    r, with_invoices = _workspace_queries(owner_client, project)
    assert 'class="invoice"' in r.content.decode()
    # Their installments and payments: two more queries (the invoices are always asked for),
    # whatever their number.
    assert with_invoices == count + 2, (count, with_invoices)
