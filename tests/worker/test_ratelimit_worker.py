"""The account-wide rate limit on real worker processes: a 429 stops every sibling job, not only
the one that got it, so nothing is sent into the block (the sandbox counts what is)."""

import datetime
from decimal import Decimal

import pytest

from crm.clients.models import Client
from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.services import create_project
from pictime.models import AutoCreateJob, GalleryLink
from pictime.services.connection import set_auto_create
from tests.waiting import at_once, wait_until

# A real Celery worker, on PostgreSQL: the test's rows must be committed for the worker to see them.
pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def installments(company, count):
    found = []
    for n in range(count):
        person = Client.objects.create(company=company, name=f"Client {n}", email=f"c{n}@example.com")
        project = create_project(company=company, client=person, name=f"Wedding {n}", type="wedding")
        invoice = create_invoice(
            project=project, title="Collection", schedule=[(Decimal("500.00"), datetime.date(2027, 1, 1))]
        )
        found.append(send_invoice(invoice).installments.get())
    return found


def test_eight_first_payments_with_429s_send_nothing_during_a_retry_after(
    two_celery_workers, connection, company, sandbox, pictime_account
):
    set_auto_create(connection, True)
    to_pay = installments(company, 8)
    sandbox.set_faults(rate_limit_next=3, retry_after=1)
    _, errors = at_once(
        *[
            lambda installment=installment: record_payment(
                installment=installment, amount=Decimal("500.00"), method="card"
            )
            for installment in to_pay
        ]
    )
    assert errors == [None] * 8

    def all_done():
        return AutoCreateJob.objects.filter(status=AutoCreateJob.Status.SUCCEEDED).count() == 8

    assert wait_until(all_done, timeout=90), list(AutoCreateJob.objects.values("status", "last_error"))
    stats = sandbox.stats(pictime_account["id"])
    assert stats["rate_limited"] >= 3  # the injected ones were met
    assert stats["refused_during_block"] == 0
    assert stats["galleries"] == 8
    assert GalleryLink.objects.filter(company=company, origin=GalleryLink.Origin.AUTO_CREATED).count() == 8
