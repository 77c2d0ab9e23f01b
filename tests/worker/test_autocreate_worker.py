"""The payment → gallery path on a real Celery worker consuming from Redis."""

import time
from decimal import Decimal

import pytest

from crm.payments.models import Payment
from crm.payments.services import record_payment
from crm.payments.signals import project_first_paid
from crm.projects.models import Activity
from pictime.models import AutoCreateJob, GalleryLink
from pictime.services.connection import set_auto_create
from tests.waiting import first_sync_done, wait_until

# A real Celery worker, on PostgreSQL: the test's rows must be committed for the worker to see them.
pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_first_payment_makes_one_gallery_on_a_real_worker(
    celery_worker_process, connection, installment, sandbox, pictime_account
):
    set_auto_create(connection, True)
    project = installment.invoice.project
    payment = record_payment(installment=installment, amount=Decimal("1000.00"), method="card")

    assert wait_until(lambda: GalleryLink.objects.filter(project=project).exists()), "no gallery linked"
    link = GalleryLink.objects.get(project=project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED and link.status == GalleryLink.Status.OFFLINE
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    assert project.activities.filter(
        kind=Activity.Kind.INTEGRATION, message__startswith="Pic-Time gallery created"
    ).exists()

    for _ in range(5):  # the signal again, as a duplicate delivery would
        project_first_paid.send(
            sender=Payment,
            project_id=project.pk,
            payment_id=payment.pk,
            company_id=project.company_id,
            paid_at=payment.paid_at,
        )
    time.sleep(2)
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert AutoCreateJob.objects.get(project=project).status == AutoCreateJob.Status.SUCCEEDED


def test_the_worker_retries_server_errors_at_their_time(
    celery_worker_process, connection, installment, sandbox, pictime_account, settings
):
    """Countdown retries on the worker (not the beat): 500 twice, then one gallery."""
    set_auto_create(connection, True)
    assert first_sync_done(connection)
    sandbox.set_faults(fail_next=2)
    project = installment.invoice.project
    record_payment(installment=installment, amount=Decimal("1000.00"), method="card")

    def done():
        job = AutoCreateJob.objects.filter(project=project).first()
        return job is not None and job.status == AutoCreateJob.Status.SUCCEEDED

    assert wait_until(done, timeout=60), AutoCreateJob.objects.filter(project=project).values().first()
    assert AutoCreateJob.objects.get(project=project).attempts == 3
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1


def test_the_worker_waits_out_retry_after_before_the_next_attempt(
    celery_worker_process, connection, installment, sandbox, pictime_account
):
    """Celery's own retry (no beat runs here): a 429 asking for 3 s, then one gallery, not sooner."""
    set_auto_create(connection, True)
    assert first_sync_done(connection)
    sandbox.set_faults(rate_limit_next=1, retry_after=3)
    project = installment.invoice.project
    started = time.monotonic()
    record_payment(installment=installment, amount=Decimal("1000.00"), method="card")

    def done():
        job = AutoCreateJob.objects.filter(project=project).first()
        return job is not None and job.status == AutoCreateJob.Status.SUCCEEDED

    assert wait_until(done, timeout=60), AutoCreateJob.objects.filter(project=project).values().first()
    assert time.monotonic() - started >= 3
    # The 429 was Pic-Time's rate limit speaking, not a failed attempt: the job's one attempt made it.
    assert AutoCreateJob.objects.get(project=project).attempts == 1
    assert sandbox.stats(pictime_account["id"])["rate_limited"] == 1
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
