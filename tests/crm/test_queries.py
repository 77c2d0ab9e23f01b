"""The workspace page's queries don't grow with the project's invoices, payments and activity."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.payments.services import create_invoice, record_payment, send_invoice

pytestmark = pytest.mark.django_db


def _add_paid_invoices(project, n):
    for i in range(n):
        invoice = send_invoice(
            create_invoice(
                project=project,
                title=f"Collection {i}",
                schedule=[
                    (Decimal("100.00"), datetime.date(2027, 1, 1)),
                    (Decimal("200.00"), datetime.date(2027, 2, 1)),
                ],
            )
        )
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
    assert page.count("<td>50.00 USD</td>") == 10  # each payment in the Payments table
    assert five == one, (one, five)


def test_workspace_stays_under_a_query_budget(owner_client, project, django_assert_max_num_queries):
    _add_paid_invoices(project, 5)
    # Session, user, membership, project, invoices, installments, payments, activity and a few more.
    with django_assert_max_num_queries(12):
        assert owner_client.get(reverse("project_workspace", args=[project.pk])).status_code == 200
