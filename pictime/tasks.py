"""Celery tasks: thin. Each takes ids, loads rows and calls one service."""

from celery import shared_task

from pictime import tokens
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.services import autocreate, ready_email, reminders, sync, webhooks

READY_EMAIL_RETRIES = 5
REMINDER_RETRIES = 5


@shared_task(name="pictime.process_webhook_events", acks_late=True)
def process_webhook_events(connection_id: int) -> int:
    """The connection's queued webhook events, applied in batches (queued by services.queue)."""
    return webhooks.process_queued(connection_id)


# Celery retries the attempt (`self.retry`, at the backoff the job row records for the panel). What
# Celery can't do stays ours: the claim on the job row (one worker at a time however often the
# message is delivered), the lease that lets a dead worker's job be taken over, and the beat's sweep
# (run_due_autocreate_jobs) that re-sends a retry whose message was lost.
@shared_task(name="pictime.autocreate_gallery", acks_late=True, bind=True, max_retries=None)
def autocreate_gallery(self, project_id: int, payment_id: int) -> str:
    result = autocreate.run_for_first_payment(project_id, payment_id)
    if result is None:
        return "not_eligible"
    if result.retry_in is not None:
        # This attempt is over and recorded on the job; Celery sends the next one. (Run eagerly, as
        # in tests, Celery can't wait a countdown and doesn't send it: the beat's sweep runs it.)
        self.retry(countdown=result.retry_in, throw=False)
    return result.status


@shared_task(name="pictime.run_due_autocreate_jobs")
def run_due_autocreate_jobs() -> int:
    """Beat: retries that are due and jobs whose worker died, in case their message was lost."""
    due = autocreate.due_jobs()
    for project_id, payment_id in due:
        autocreate_gallery.delay(project_id, payment_id)
    return len(due)


@shared_task(name="pictime.sync_connection", acks_late=True)
def sync_connection_task(connection_id: int, trigger: str = SyncRun.Trigger.SCHEDULE) -> str:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "missing"
    return sync.sync_links(connection, None, trigger).status


@shared_task(name="pictime.sync_all_connections")
def sync_all_connections() -> int:
    """Beat: a sync per connected company, and webhook events stored but never queued."""
    for connection_id in webhooks.requeue_stale_events():
        process_webhook_events.delay(connection_id)
    connection_ids = sync.connections_to_sync()
    for connection_id in connection_ids:
        sync_connection_task.delay(connection_id, SyncRun.Trigger.SCHEDULE)
    return len(connection_ids)


@shared_task(name="pictime.sync_link", acks_late=True, bind=True, max_retries=8)
def sync_link_task(self, link_id: int) -> str:
    """A gallery just linked whose earlier orders couldn't be fetched at once (see services.queue)."""
    link = GalleryLink.objects.select_related("connection").filter(pk=link_id).first()
    if link is None:
        return "missing"
    run = sync.sync_links(link.connection, [link], SyncRun.Trigger.LINKED, project=link.project)
    if run.status == SyncRun.Status.FAILED and link.connection.is_connected:
        self.retry(countdown=min(900, 5 * 2**self.request.retries), throw=False)
    return run.status


@shared_task(name="pictime.prune_webhook_deliveries")
def prune_webhook_deliveries() -> int:
    """Beat: keeps the webhook log bounded (days and rows, see the settings)."""
    return webhooks.prune_deliveries()


@shared_task(name="pictime.gallery_published", bind=True, acks_late=True, max_retries=READY_EMAIL_RETRIES)
def gallery_published(self, link_id: int) -> str:
    """A linked gallery went online: Delivered, and the "gallery ready" email, retried with backoff
    while the mail server fails."""
    try:
        return ready_email.handle_published(link_id)
    except ready_email.SendFailed as error:
        final = self.request.retries >= self.max_retries
        ready_email.record_failure(link_id, final=final)
        if final:
            return "failed"
        raise self.retry(exc=error, countdown=min(3600, 30 * 2**self.request.retries)) from error


@shared_task(name="pictime.send_expiry_reminder", bind=True, acks_late=True, max_retries=REMINDER_RETRIES)
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


@shared_task(name="pictime.send_due_reminders")
def send_due_reminders() -> int:
    """Beat: the expiry reminders that are due (the rows say which; a lost message is found again)."""
    due = reminders.due_links()
    for link_id in due:
        send_expiry_reminder.delay(link_id)
    return len(due)


@shared_task(name="pictime.finish_refresh", acks_late=True)
def finish_refresh(connection_id: int) -> str:
    """A token refresh whose answers were lost, asked again within Pic-Time's grace (pictime.tokens)."""
    return tokens.finish_refresh(connection_id)
