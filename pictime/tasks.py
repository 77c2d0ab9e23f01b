"""Celery tasks: thin. Each takes ids, loads rows and calls one service.

The work a task does is recorded in a row before its message is sent (services.pending): a task that
gives up leaves the row pending, and the beat's sweep (run_pending_work) sends it again.

Every retry goes through Celery's (``self.retry``, or ``autoretry_for``) with one delay,
``pictime.backoff.retry_delay``, given by the base class ``Task`` when the task names none. Where a
row records the work (an auto-create job, a link's pending work: ``LinkWork``), the row counts the
tries and says when the next is due; the task keeps no count of its own.
"""

import logging
from datetime import UTC, datetime, timedelta

from celery import Task as CeleryTask
from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisUnreachable
from redis.exceptions import TimeoutError as RedisTimeout

from crm.celery import publish
from pictime import tokens
from pictime.backoff import retry_delay
from pictime.client import NO_RETRY
from pictime.errors import PicTimeError
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.services import autocreate, pending, ready_email, reminders, sync, webhooks

log = logging.getLogger(__name__)

READY_EMAIL_TRIES = 6
REMINDER_RETRIES = 5
LINK_SYNC_TRIES = 9

# Transient on our side, not Pic-Time's: PostgreSQL restarting ("the database system is shutting
# down", a connection cut), the broker or the rate limiter's Redis unreachable. Retried with backoff
# by Celery (a failed task would otherwise be acknowledged and dropped).
OURS_TRANSIENT = (OperationalError, InterfaceError, BrokerUnreachable, RedisUnreachable, RedisTimeout)


class Task(CeleryTask):
    """Our tasks' base: a retry that names no countdown waits ``retry_delay`` (1 s doubling, at most
    ``backoff_cap``): what ``autoretry_for`` asks for after our own transient errors."""

    backoff_base = 1.0
    backoff_cap = 30.0

    def retry(self, *args, countdown=None, eta=None, **options):
        if countdown is None and eta is None:
            countdown = self.backoff(self.request.retries)
        return super().retry(*args, countdown=countdown, eta=eta, **options)

    def backoff(self, retries: int, retry_after: float | None = None) -> float:
        """The delay before the retry that follows ``retries`` earlier ones."""
        return retry_delay(retries + 1, base=self.backoff_base, cap=self.backoff_cap, retry_after=retry_after)


RETRY_OURS = {"base": Task, "autoretry_for": OURS_TRANSIENT}


class LinkWork(Task):
    """A link's pending work (services.pending, ``work``): the link's row counts the tries that failed
    and holds when the next is due, not the task's message (Celery's count is not used), so a message
    the sweep sends again carries on the count and the backoff. Given up after ``tries``. The task
    retries with ``throw=False``: run eagerly (tests), one run is one try, and the next is the
    test's to run, as a worker would when the countdown ends."""

    max_retries = None
    work = ""
    tries = 1

    def count_failure(
        self, link_id: int, *, permanent=False, retry_after: float | None = None
    ) -> float | None:
        """A try failed: counted on the row with the next one's time; the seconds until it, or None
        when it is given up (the last of ``tries``, or ``permanent``; the row keeps its count)."""
        failed = pending.failed_tries(link_id, self.work)  # before this one
        last = permanent or failed + 1 >= self.tries
        retry_in = None if last else self.backoff(failed, retry_after)
        pending.failed(link_id, self.work, retry_in)
        return retry_in


@shared_task(name="pictime.process_webhook_events", acks_late=True, max_retries=10, **RETRY_OURS)
def process_webhook_events(connection_id: int) -> int:
    """The connection's queued webhook events, applied in batches (queued by pictime.queue)."""
    return webhooks.process_queued(connection_id)


# Celery retries the attempt (`self.retry`, at the backoff the job row records for the panel). What
# Celery can't do stays ours: the claim on the job row (one worker at a time however often the
# message is delivered), the lease that lets a dead worker's job be taken over, and the beat's sweep
# (run_pending_work) that re-sends a job whose message was lost.
# The job's row holds its attempts and its next attempt's time (the panel shows them); the task only
# carries it out, so it has no retry count of its own (max_retries=None).
@shared_task(name="pictime.autocreate_gallery", acks_late=True, bind=True, base=Task, max_retries=None)
def autocreate_gallery(self, project_id: int, payment_id: int) -> str:
    try:
        result = autocreate.run_for_first_payment(project_id, payment_id, run_id=self.request.id or "")
    except OURS_TRANSIENT as error:
        # Our database or Redis: the retry keeps this task id, so it takes its own claim back at once.
        # If the task dies meanwhile, the job's row is left to the lease and the sweep.
        raise self.retry(exc=error) from error
    if result is None:
        return "not_eligible"
    if result.orders_due is not None:  # recorded on the new link with it: fetched by a task that retries
        pending.publish(result.orders_due, pending.ORDERS, sync_link_task)
    if result.retry_in is not None:
        # This attempt is over and recorded on the job; Celery sends the next one. (Run eagerly, as
        # in tests, Celery can't wait a countdown and doesn't send it: the beat's sweep runs it.)
        self.retry(countdown=result.retry_in, throw=False)
    return result.status


def _horizons(request) -> tuple[datetime, datetime]:
    """Up to when messages should have been taken by a worker, for the sweep: those in the broker's
    queue (first in, first out), a margin before this sweep's own message was sent; those a worker
    holds for a countdown (a retry), a margin before now. A row whose message was sent or due before
    that and that is still not started was lost. A row sent after the sweep's message may still be
    queued behind a backlog: not sent again (its second message would only cost the worker a no-op
    run). The margin covers on-commit publishing and a busy worker. Run without the stamp (a test,
    the shell): a lease ago, and now."""
    now = timezone.now()
    sent_at = (request.headers or {}).get("sent_at")  # stamped on every message by crm.celery
    if not sent_at:
        return now - timedelta(seconds=pending.lease_seconds()), now
    sent = datetime.fromtimestamp(float(sent_at), tz=UTC)
    return sent - pending.SENT_MARGIN, now - pending.SENT_MARGIN


@shared_task(name="pictime.run_pending_work", bind=True, max_retries=2, **RETRY_OURS)
def run_pending_work(self) -> dict[str, int]:
    """Beat, every minute: sends again the pending work whose message was lost (the broker restarted,
    a worker died): what was sent before this sweep's message and is still not taken (see
    _horizons). The claim of each row lets it run once, however many messages it gets."""
    sent_before, due_before = _horizons(self.request)
    jobs = pending.take_due_jobs(sent_before, due_before)
    unsent = [
        project_id
        for project_id, payment_id in jobs
        if not publish(autocreate_gallery, project_id, payment_id)
    ]
    if unsent:
        autocreate.mark_unsent(unsent)
    events = webhooks.requeue_stale_events(received_before=sent_before)
    for connection_id in events:
        publish(process_webhook_events, connection_id)
    emails = pending.take_due_links(pending.READY_EMAIL, sent_before)
    for link_id in emails:  # a send that fails marks the row due at the next sweep
        pending.publish(link_id, pending.READY_EMAIL, gallery_published)
    orders = pending.take_due_links(pending.ORDERS, sent_before)
    for link_id in orders:
        pending.publish(link_id, pending.ORDERS, sync_link_task)
    refreshes = pending.refreshes_to_finish(sent_before)
    for connection_id in refreshes:
        publish(finish_refresh, connection_id)
    return {
        "autocreate": len(jobs),
        "webhooks": len(events),
        "ready_email": len(emails),
        "orders": len(orders),
        "refresh": len(refreshes),
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


@shared_task(
    name="pictime.sync_link",
    acks_late=True,
    bind=True,
    base=LinkWork,
    work=pending.ORDERS,
    tries=LINK_SYNC_TRIES,
    backoff_base=5,
    backoff_cap=900,
    autoretry_for=OURS_TRANSIENT,
)
def sync_link_task(self, link_id: int) -> str:
    """A gallery just linked whose earlier orders couldn't be fetched at once (pictime.queue,
    services.autocreate): one request a try, no wait in the worker; Celery retries it later."""
    link = GalleryLink.objects.filter(pk=link_id).first()
    if link is None:
        return "missing"
    try:
        sync.fetch_earlier_orders(link, background=True, retry=NO_RETRY)
    except PicTimeError as error:
        retry_after = getattr(error, "retry_after", None)
        retry_in = self.count_failure(link_id, permanent=error.permanent, retry_after=retry_after)
        if retry_in is not None:
            self.retry(countdown=retry_in, throw=False)
            return "retrying"
        # Given up on (or the grant is gone): the account's sync reads them, after a reconnection.
        log.warning("pictime.link_orders.given_up", extra={"link": link_id, "error": str(error)})
        return "failed"
    pending.done(link_id, pending.ORDERS)
    return "fetched"


@shared_task(name="pictime.prune_webhook_deliveries")
def prune_webhook_deliveries() -> int:
    """Beat: keeps the webhook log bounded (days and rows, see the settings)."""
    return webhooks.prune_deliveries()


# The mail server failing: 30 s, doubling, at most an hour.
MAIL_BACKOFF = {"backoff_base": 30, "backoff_cap": 3600}


@shared_task(
    name="pictime.gallery_published",
    bind=True,
    acks_late=True,
    base=LinkWork,
    work=pending.READY_EMAIL,
    tries=READY_EMAIL_TRIES,
    autoretry_for=OURS_TRANSIENT,
    **MAIL_BACKOFF,
)
def gallery_published(self, link_id: int) -> str:
    """A linked gallery went online: Delivered, and the "gallery ready" email, retried with backoff
    while the mail server fails."""
    try:
        status = ready_email.handle_published(link_id)
    except ready_email.SendFailed:
        retry_in = self.count_failure(link_id)
        ready_email.record_failure(link_id, final=retry_in is None)
        if retry_in is None:
            return "failed"
        self.retry(countdown=retry_in, throw=False)
        return "retrying"
    pending.done(link_id, pending.READY_EMAIL)
    return status


@shared_task(
    name="pictime.send_expiry_reminder",
    bind=True,
    acks_late=True,
    max_retries=REMINDER_RETRIES,
    **MAIL_BACKOFF,
    **RETRY_OURS,
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
            raise self.retry(exc=error) from error
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
