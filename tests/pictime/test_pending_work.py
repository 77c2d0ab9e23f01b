"""Pending work is a row written with the change that causes it; the broker is only the fast path.
With the broker down, a first payment succeeds (portal card payment, staff "Record payment"), and its
gallery comes once the broker is back and the beat's sweep runs, exactly once."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.payments.models import Payment
from pictime.models import AutoCreateJob, GalleryLink
from pictime.tasks import run_pending_work
from tests.factories import galleries_at_pictime
from tests.helpers import run_task

CARD = {"name": "Bella Bride", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"}


def swept():
    """The beat's sweep; how many auto-create jobs it sent (again)."""
    return run_pending_work()["autocreate"]


def pay_in_portal(client, installment, capture):
    project = installment.invoice.project
    with capture(execute=True):
        response = client.post(reverse("portal_pay", args=[project.portal_token, installment.pk]), CARD)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("portal", args=[project.portal_token])
    assert "Thank you! Your payment was received." in client.get(response.url).content.decode()


def record_in_crm(owner_client, installment, capture):
    with capture(execute=True):
        response = owner_client.post(
            reverse("record_payment", args=[installment.pk]),
            {"amount": "1000.00", "method": "check", "reference": "1042", "paid_on": timezone.localdate()},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == installment.invoice.project.get_absolute_url()
    page = owner_client.get(response.url).content.decode()
    assert "Payment recorded." in page


def the_gallery_comes_once_the_broker_is_back(broker_down, project, sandbox, pictime_account):
    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.PENDING  # recorded with the payment
    assert galleries_at_pictime(sandbox, pictime_account) == 0

    assert swept() == 1  # the broker still down: the sweep can't send it either, and loses nothing
    assert AutoCreateJob.objects.get(project=project).status == AutoCreateJob.Status.PENDING
    assert galleries_at_pictime(sandbox, pictime_account) == 0

    broker_down.back()
    assert swept() == 1  # the next minute's sweep: its send failed, so it need not wait a lease
    assert galleries_at_pictime(sandbox, pictime_account) == 1
    link = GalleryLink.objects.get(project=project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED
    assert AutoCreateJob.objects.get(project=project).status == AutoCreateJob.Status.SUCCEEDED

    assert swept() == 0  # done: nothing is sent again
    assert galleries_at_pictime(sandbox, pictime_account) == 1
    assert GalleryLink.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_a_card_payment_in_the_portal_with_the_broker_down_succeeds_and_its_gallery_comes_once(
    auto_create_on,
    client,
    installment,
    sandbox,
    pictime_account,
    broker_down,
    django_capture_on_commit_callbacks,
):
    pay_in_portal(client, installment, django_capture_on_commit_callbacks)
    project = installment.invoice.project
    assert Payment.objects.get(project=project).method == Payment.Method.CARD
    the_gallery_comes_once_the_broker_is_back(broker_down, project, sandbox, pictime_account)


@pytest.mark.django_db
def test_record_payment_with_the_broker_down_succeeds_and_its_gallery_comes_once(
    auto_create_on,
    owner_client,
    installment,
    sandbox,
    pictime_account,
    broker_down,
    django_capture_on_commit_callbacks,
):
    record_in_crm(owner_client, installment, django_capture_on_commit_callbacks)
    project = installment.invoice.project
    assert Payment.objects.get(project=project).reference == "1042"
    the_gallery_comes_once_the_broker_is_back(broker_down, project, sandbox, pictime_account)


@pytest.mark.django_db
def test_a_job_whose_message_was_lost_is_sent_again_a_lease_after_and_runs_once(
    auto_create_on,
    client,
    installment,
    sandbox,
    pictime_account,
    django_capture_on_commit_callbacks,
    settings,
):
    """The message was taken (Redis restarted empty, or a worker took it and died): nothing in the
    broker says so. The sweep sends the job again once its lease has run out, not before."""
    project = installment.invoice.project
    with django_capture_on_commit_callbacks(execute=False):  # its message never reaches a worker
        client.post(reverse("portal_pay", args=[project.portal_token, installment.pk]), CARD)
    job = AutoCreateJob.objects.get(project=project)
    lease = datetime.timedelta(seconds=settings.PICTIME_PENDING_WORK_LEASE_SECONDS)
    assert job.status == AutoCreateJob.Status.PENDING
    assert job.next_attempt_at - job.created_at > lease - datetime.timedelta(seconds=1)
    assert swept() == 0  # it may still be on its way

    AutoCreateJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())  # a lease later
    assert swept() == 1
    assert galleries_at_pictime(sandbox, pictime_account) == 1
    assert AutoCreateJob.objects.get(pk=job.pk).status == AutoCreateJob.Status.SUCCEEDED
    assert swept() == 0


@pytest.mark.django_db
def test_a_payment_without_auto_create_records_no_job_and_the_sweep_sends_nothing(
    connection, client, installment, sandbox, pictime_account, broker_down, django_capture_on_commit_callbacks
):
    pay_in_portal(client, installment, django_capture_on_commit_callbacks)
    assert not AutoCreateJob.objects.exists()
    broker_down.back()
    assert run_pending_work() == {"autocreate": 0, "webhooks": 0, "ready_email": 0, "orders": 0, "refresh": 0}
    assert galleries_at_pictime(sandbox, pictime_account) == 0


@pytest.mark.django_db
def test_a_linked_gallerys_orders_handed_to_a_worker_with_the_broker_down_are_fetched_by_the_sweep(
    link, gallery, sandbox, broker_down, django_capture_on_commit_callbacks
):
    """Linking couldn't fetch the gallery's earlier orders and handed them to a worker; the broker
    was down: the link records the fetch as due, and the sweep sends it once the broker is back."""
    from pictime.models import Order
    from pictime.queue import queue_link_sync

    order = sandbox.place_order(gallery["id"])
    with django_capture_on_commit_callbacks(execute=True):
        queue_link_sync(link)
    link.refresh_from_db()
    assert link.orders_due_at is not None and link.orders_due_at <= timezone.now()  # its send failed
    assert not Order.objects.exists()

    broker_down.back()
    assert run_pending_work()["orders"] == 1
    assert list(Order.objects.values_list("order_id", flat=True)) == [order["id"]]
    link.refresh_from_db()
    assert link.orders_due_at is None
    assert run_pending_work()["orders"] == 0


@pytest.mark.django_db
def test_an_auto_created_gallerys_orders_pic_time_refused_are_fetched_by_the_sweep_once_the_broker_is_back(
    auto_create_on, installment, sandbox, broker_down, monkeypatch
):
    """The job makes the gallery, then asks for its orders once (no wait in the worker): Pic-Time
    refuses, so the new link records the fetch as due with it; its message can't be sent (the
    broker is down), and the sweep sends it once the broker is back."""
    from crm.payments.services import record_payment
    from pictime.client import PicTimeClient
    from pictime.models import Order
    from pictime.tasks import autocreate_gallery

    create = PicTimeClient.create_gallery
    sold = []

    def create_then_sold_and_refusing(client, *args, **kwargs):
        gallery = create(client, *args, **kwargs)
        sold.append(sandbox.place_order(gallery.id))  # sold already (a replayed create finds it so)
        sandbox.set_faults(fail_next=1)  # the orders request that follows is answered 500
        return gallery

    monkeypatch.setattr(PicTimeClient, "create_gallery", create_then_sold_and_refusing)
    project = installment.invoice.project
    payment = record_payment(installment=installment, amount=installment.amount, method="card")
    assert run_task(autocreate_gallery, project.pk, payment.pk) == AutoCreateJob.Status.SUCCEEDED
    link = GalleryLink.objects.get(project=project)
    assert link.orders_due_at is not None and link.orders_due_at <= timezone.now()  # its send failed
    assert not Order.objects.exists()
    assert run_pending_work()["orders"] == 1  # the broker still down: its send fails, nothing is lost

    broker_down.back()
    assert run_pending_work()["orders"] == 1
    assert list(Order.objects.values_list("order_id", flat=True)) == [sold[0]["id"]]
    link.refresh_from_db()
    assert link.orders_due_at is None
    assert run_pending_work()["orders"] == 0


def sweep_now():
    """The beat's sweep as a worker runs it, its message just sent (not queued behind a backlog)."""
    return run_task(run_pending_work, headers={"sent_at": time.time()})


@pytest.mark.django_db
def test_a_token_refresh_handed_to_a_worker_with_the_broker_down_is_finished_by_the_sweep(
    connection, sandbox, pictime_account, broker_down, django_capture_on_commit_callbacks
):
    """The token endpoint loses its answers; the request hands the refresh to a worker, but the
    broker refuses the message. Once it is back, the sweep sends it, within Pic-Time's grace: the
    same refresh token is answered again, no reuse, the grant lives on."""
    from pictime.errors import RefreshRetrying
    from pictime.models import Connection
    from tests.helpers import access_token

    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)  # due by the clock
    sandbox.set_faults(account_id=pictime_account["id"], token_down_seconds=5)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RefreshRetrying):
        access_token(connection.pk)  # the request's share (0.5 + 1 + 2 s), then handed over
    connection.refresh_from_db()
    assert connection.refresh_retrying and connection.is_connected
    # As if the next minute's sweep came 12 s after the first send (13 s of our margin left).
    earlier = datetime.timedelta(seconds=12)
    Connection.objects.filter(pk=connection.pk).update(
        refresh_sent_at=connection.refresh_sent_at - earlier,
        refresh_retry_until=connection.refresh_retry_until - earlier,
    )

    broker_down.back()
    assert sweep_now()["refresh"] == 1  # the worker asks until the token endpoint answers
    connection.refresh_from_db()
    assert connection.is_connected and not connection.refresh_retrying
    assert connection.refresh_sent_at is None  # refreshed
    stats = sandbox.stats(pictime_account["id"])
    assert stats["refresh_reuse"] == 0 and stats["grace_replays"] == 1
    assert sweep_now()["refresh"] == 0  # finished: nothing is sent again
    assert access_token(connection.pk) == connection.access_token
