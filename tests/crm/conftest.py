"""Fixtures of the CRM's own tests: another company's invoice, and a few helpers."""

import datetime
from decimal import Decimal

import pytest

from crm.payments.services import create_invoice, send_invoice


@pytest.fixture
def other_invoice(other_project):
    """A sent invoice of the outsider's company, with one installment of 500.00."""
    invoice = create_invoice(
        project=other_project,
        title="Other collection",
        schedule=[(Decimal("500.00"), datetime.date(2027, 2, 1))],
    )
    return send_invoice(invoice)


@pytest.fixture
def other_installment(other_invoice):
    return other_invoice.installments.get(position=1)


@pytest.fixture
def draft_invoice(project):
    return create_invoice(
        project=project, title="Prints", schedule=[(Decimal("200.00"), datetime.date(2027, 3, 1))]
    )
