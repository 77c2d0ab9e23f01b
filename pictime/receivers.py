"""What pictime does when the CRM (which knows nothing of pictime), pictime's own lower layers or its
services say something happened: mostly, hand the work to a worker (pictime.queue)."""

from django.db import transaction
from django.dispatch import receiver

from crm.celery import publish
from crm.payments.signals import project_first_paid
from pictime import queue, signals
from pictime.models import SyncRun
from pictime.tasks import finish_refresh


@receiver(project_first_paid, dispatch_uid="pictime-autocreate-on-first-payment")
def autocreate_on_first_payment(sender, project_id, payment_id, company_id, paid_at, **kwargs):
    """A project's first payment, in its transaction: the auto-create job is recorded with it when
    auto-create applies; its task is sent after commit."""
    queue.autocreate_for_first_payment(project_id, payment_id, company_id, paid_at)


@receiver(signals.grant_refreshed, dispatch_uid="pictime-resume-autocreates-on-refresh")
def resume_autocreates_on_refresh(sender, connection, **kwargs):
    """The grant works again: auto-creates that waited for a reconnection run now."""
    queue.resume_waiting_jobs(connection)


@receiver(signals.refresh_unanswered, dispatch_uid="pictime-finish-refresh-in-a-worker")
def finish_refresh_in_a_worker(sender, connection, **kwargs):
    """The request gave up on a refresh whose answers were lost: a worker asks again in the grace."""
    connection_id = connection.pk
    # A lost message (the broker down) is sent again by the beat's sweep (services.pending); until
    # a worker asks, requests answer "retrying", and past the grace's margin nobody sends the token.
    transaction.on_commit(lambda: publish(finish_refresh, connection_id))


@receiver(signals.connected, dispatch_uid="pictime-start-on-connect")
def start_on_connect(sender, connection, **kwargs):
    """A company connected: auto-creates that waited for a reconnection run, and the first sync now
    (not at the beat's next run)."""
    queue.resume_waiting_jobs(connection)
    queue.queue_company_sync(connection, SyncRun.Trigger.CONNECTED)


@receiver(signals.gallery_published, dispatch_uid="pictime-ready-email-on-publish")
def ready_email_on_publish(sender, link, **kwargs):
    queue.queue_ready_email(link)


@receiver(signals.orders_unfetched, dispatch_uid="pictime-fetch-orders-in-a-worker")
def fetch_orders_in_a_worker(sender, link, **kwargs):
    queue.queue_link_sync(link)


@receiver(signals.reminder_requested, dispatch_uid="pictime-send-reminder")
def send_reminder(sender, link_id, **kwargs):
    queue.queue_reminder(link_id)
