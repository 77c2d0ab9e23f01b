"""Celery tasks: thin. Each takes ids, loads rows and calls one service.

The work a task does is recorded in a row before its message is sent (services.pending): a task that
gives up leaves the row pending, and the beat's sweep (run_pending_work) sends it again.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisUnreachable
from redis.exceptions import TimeoutError as RedisTimeout

from crm.celery import publish
from pictime import tokens
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.services import autocreate, pending, ready_email, reminders, sync, webhooks

READY_EMAIL_RETRIES = 5
REMINDER_RETRIES = 5
LINK_SYNC_RETRIES = 8

# Transient on our side, not Pic-Time's: PostgreSQL restarting ("the database system is shutting
# down", a connection cut), the broker or the rate limiter's Redis unreachable. Retried with backoff
# by Celery (a failed task would otherwise be acknowledged and dropped).
OURS_TRANSIENT = (OperationalError, InterfaceError, BrokerUnreachable, RedisUnreachable, RedisTimeout)
RETRY_OURS = {
    "autoretry_for": OURS_TRANSIENT,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
}


@shared_task(name="pictime.process_webhook_events", acks_late=True, max_retries=10, **RETRY_OURS)
def process_webhook_events(connection_id: int) -> int:
    """The connection's queued webhook events, applied in batches (queued by pictime.queue)."""
    return webhooks.process_queued(connection_id)


# Celery retries the attempt (`self.retry`, at the backoff the job row records for the panel). What
# Celery can't do stays ours: the claim on the job row (one worker at a time however often the
# message is delivered), the lease that lets a dead worker's job be taken over, and the beat's sweep
# (run_pending_work) that re-sends a job whose message was lost.
@shared_task(name="pictime.autocreate_gallery", acks_late=True, bind=True, max_retries=None)
def autocreate_gallery(self, project_id: int, payment_id: int) -> str:
    try:
        result = autocreate.run_for_first_payment(project_id, payment_id, run_id=self.request.id or "")
    except OURS_TRANSIENT as error:
        # Our database or Redis: the retry keeps this task id, so it takes its own claim back at once.
        # After 10 the job's row is left to the lease and the sweep.
        raise self.retry(exc=error, countdown=_backoff(self.request.retries), max_retries=10) from error
    if result is None:
        return "not_eligible"
    if result.retry_in is not None:
        # This attempt is over and recorded on the job; Celery sends the next one. (Run eagerly, as
        # in tests, Celery can't wait a countdown and doesn't send it: the beat's sweep runs it.)
        self.retry(countdown=result.retry_in, throw=False)
    return result.status


def _backoff(retries: int) -> float:
    return min(30.0, 2.0**retries)


@shared_task(name="pictime.run_pending_work", **RETRY_OURS, max_retries=2)
def run_pending_work() -> dict[str, int]:
    """Beat, every minute: sends again the pending work whose message may be lost (the broker
    restarted, a worker died). Each row is sent at most once a lease; its claim lets it run once."""
    jobs = autocreate.take_due_jobs()
    unsent = [
        project_id
        for project_id, payment_id in jobs
        if not publish(autocreate_gallery, project_id, payment_id)
    ]
    if unsent:
        autocreate.mark_unsent(unsent)
    events = webhooks.requeue_stale_events(older_than_seconds=pending.lease_seconds())
    for connection_id in events:
        publish(process_webhook_events, connection_id)
    emails = pending.take_due_links(pending.READY_EMAIL)
    for link_id in emails:
        publish(gallery_published, link_id)
    orders = pending.take_due_links(pending.ORDERS)
    for link_id in orders:
        publish(sync_link_task, link_id)
    return {
        "autocreate": len(jobs),
        "webhooks": len(events),
        "ready_email": len(emails),
        "orders": len(orders),
    }


@shared_task(name="pictime.sync_connection", acks_late=True, max_retries=5, **RETRY_OURS)
def sync_connection_task(connection_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "missing"
    return sync.sync_links(connection, None, trigger).status


@shared_task(name="pictime.sync_all_connections", max_retries=2, **RETRY_OURS)
def sync_all_connections() -> int:
    """Beat: a sync per connected company (webhook events never processed are run_pending_work's)."""
    connection_ids = sync.connections_to_sync()
    for connection_id in connection_ids:
        sync_connection_task.delay(connection_id, SyncRun.Trigger.SCHEDULE)
    return len(connection_ids)


@shared_task(name="pictime.sync_link", acks_late=True, bind=True, max_retries=LINK_SYNC_RETRIES, **RETRY_OURS)
def sync_link_task(self, link_id: int) -> str:
    """A gallery just linked whose earlier orders couldn't be fetched at once (see pictime.queue)."""
    link = GalleryLink.objects.select_related("connection").filter(pk=link_id).first()
    if link is None:
        return "missing"
    run = sync.sync_links(link.connection, [link], SyncRun.Trigger.LINKED, project=link.project)
    if run.status == SyncRun.Status.FAILED and link.connection.is_connected:
        if self.request.retries < LINK_SYNC_RETRIES:
            countdown = min(900, 5 * 2**self.request.retries)
            pending.postpone(link_id, pending.ORDERS, countdown)  # the sweep leaves it to this retry
            self.retry(countdown=countdown, throw=False)
            return run.status
    pending.done(link_id, pending.ORDERS)  # fetched, or given up on: the account's sync reads them
    return run.status


@shared_task(name="pictime.prune_webhook_deliveries")
def prune_webhook_deliveries() -> int:
    """Beat: keeps the webhook log bounded (days and rows, see the settings)."""
    return webhooks.prune_deliveries()


@shared_task(
    name="pictime.gallery_published", bind=True, acks_late=True, max_retries=READY_EMAIL_RETRIES, **RETRY_OURS
)
def gallery_published(self, link_id: int) -> str:
    """A linked gallery went online: Delivered, and the "gallery ready" email, retried with backoff
    while the mail server fails."""
    try:
        status = ready_email.handle_published(link_id)
    except ready_email.SendFailed as error:
        final = self.request.retries >= self.max_retries
        ready_email.record_failure(link_id, final=final)
        if final:
            pending.done(link_id, pending.READY_EMAIL)
            return "failed"
        countdown = min(3600, 30 * 2**self.request.retries)
        pending.postpone(link_id, pending.READY_EMAIL, countdown)
        raise self.retry(exc=error, countdown=countdown) from error
    pending.done(link_id, pending.READY_EMAIL)
    return status


@shared_task(
    name="pictime.send_expiry_reminder", bind=True, acks_late=True, max_retries=REMINDER_RETRIES, **RETRY_OURS
)
def send_expiry_reminder(self, link_id: int) -> str:
    """A gallery's expiry reminder (due by the sweep or asked by Remind client), retried with backoff
    while the mail server fails."""
    try:
        return reminders.send(link_id)
    except ready_email.SendFailed as error:  # the one type both emails raise
        last_try = self.request.retries >= self.max_retries
        reminders.record_failure(link_id, final=last_try)
        if not last_try:
            raise self.retry(exc=error, countdown=reminders.retry_in(self.request.retries)) from error
        return "failed"


@shared_task(name="pictime.send_due_reminders", **RETRY_OURS)
def send_due_reminders() -> int:
    """Beat: the expiry reminders that are due (the rows say which; a lost message is found again)."""
    due = reminders.due_links()
    for link_id in due:
        publish(send_expiry_reminder, link_id)
    return len(due)


@shared_task(name="pictime.finish_refresh", acks_late=True, **RETRY_OURS)
def finish_refresh(connection_id: int) -> str:
    """A token refresh whose answers were lost, asked again within Pic-Time's grace (pictime.tokens)."""
    return tokens.finish_refresh(connection_id)
