"""Payments in the admin: support reads them, numbered within their invoice, but never adds one by
hand (a payment enters the CRM through record_payment, with its checks and what it starts)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.payments.services import create_invoice, record_payment, send_invoice
from tests.helpers import text


@pytest.mark.django_db
def test_support_sees_each_payment_numbered_in_its_invoice_and_there_is_no_add_payment(
    superuser_client, project
):
    schedule = [
        (Decimal("100.00"), datetime.date(2027, 1, 1)),
        (Decimal("200.00"), datetime.date(2027, 2, 1)),
    ]
    invoice = send_invoice(create_invoice(project=project, title="Collection", schedule=schedule))
    first, second = invoice.installments.order_by("position")
    record_payment(installment=first, amount=Decimal("100.00"), method="cash")
    record_payment(installment=second, amount=Decimal("50.00"), method="check")

    listing = superuser_client.get(reverse("admin:payments_payment_changelist"))
    assert listing.status_code == 200
    table = re.search(r'<table id="result_list">(.*?)</table>', listing.content.decode(), re.S).group(1)
    rows = [text(row).split() for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    payments = [row[1:4] for row in rows[1:]]  # after the header and each row's id: number, amount, method
    assert sorted(payments) == [["1", "100.00", "Cash"], ["2", "50.00", "Check"]], rows
    assert "Add payment" not in text(listing)
    assert superuser_client.get(reverse("admin:payments_payment_add")).status_code == 403
