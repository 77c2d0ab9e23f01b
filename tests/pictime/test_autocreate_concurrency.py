"""Auto-create under real concurrency (PostgreSQL, committed transactions, threads)."""

from decimal import Decimal

import pytest

from crm.payments.services import record_payment
from crm.payments.signals import project_first_paid
from pictime.models import AutoCreateJob, GalleryLink
from pictime.receivers import autocreate_on_first_payment
from pictime.services.connection import set_auto_create
from pictime.tasks import autocreate_gallery
from tests.waiting import at_once

RECEIVER = "pictime-autocreate-on-first-payment"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_committing_at_once_make_one_gallery(connection, invoice, sandbox, pictime_account):
    set_auto_create(connection, True)
    first, second = invoice.installments.order_by("position")
    _, errors = at_once(
        lambda: record_payment(installment=first, amount=Decimal("1000.00"), method="card"),
        lambda: record_payment(installment=second, amount=Decimal("2500.00"), method="card"),
    )
    assert errors == [None, None]
    assert invoice.project.payments.count() == 2
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    link = GalleryLink.objects.get(project=invoice.project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED
    assert AutoCreateJob.objects.get(project=invoice.project).status == AutoCreateJob.Status.SUCCEEDED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_workers_running_the_same_first_payment_make_one_gallery(
    connection, installment, sandbox, pictime_account
):
    """Five deliveries of one task, on five workers at the same moment: one job, one create."""
    set_auto_create(connection, True)
    project = installment.invoice.project
    project_first_paid.disconnect(dispatch_uid=RECEIVER)  # the deliveries are the test's
    try:
        payment = record_payment(installment=installment, amount=Decimal("1000.00"), method="card")
    finally:
        project_first_paid.connect(autocreate_on_first_payment, dispatch_uid=RECEIVER)
    assert not AutoCreateJob.objects.exists()

    _, errors = at_once(*[lambda: autocreate_gallery.delay(project.pk, payment.pk)] * 5)
    assert errors == [None] * 5
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    assert GalleryLink.objects.filter(project=project).count() == 1
    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.SUCCEEDED and job.attempts == 1
