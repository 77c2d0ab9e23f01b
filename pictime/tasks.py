"""Celery tasks: thin. Each takes ids, loads rows and calls one service."""

from celery import shared_task

from pictime.models import Connection
from pictime.services import autocreate, ready_email, sync, webhooks

READY_EMAIL_RETRIES = 5


@shared_task(name="pictime.process_webhook_event", acks_late=True)
def process_webhook_event(event_pk: int) -> str:
    return webhooks.process(event_pk).status


@shared_task(name="pictime.autocreate_for_first_payment", acks_late=True, bind=True)
def autocreate_for_first_payment(self, project_id: int, payment_id: int) -> str:
    job = autocreate.start_for_first_payment(project_id, payment_id)
    if job is None:
        return "not_eligible"
    return _run(self, job.pk)


@shared_task(name="pictime.run_autocreate_job", acks_late=True, bind=True)
def run_autocreate_job(self, job_id: int) -> str:
    return _run(self, job_id)


def _run(task, job_id: int) -> str:
    result = autocreate.run_job(job_id)
    if result.claimed and result.retry_in is not None and not task.request.is_eager:
        # The next attempt, at its time. (Run eagerly, as in tests, a countdown can't be honoured:
        # the beat's run_due_autocreate_jobs picks the job up when it is due.)
        run_autocreate_job.apply_async((job_id,), countdown=result.retry_in)
    return result.status


@shared_task(name="pictime.run_due_autocreate_jobs")
def run_due_autocreate_jobs() -> int:
    """Beat: retries that are due and jobs whose worker died, in case their message was lost."""
    job_ids = autocreate.due_job_ids()
    for job_id in job_ids:
        run_autocreate_job.delay(job_id)
    return len(job_ids)


@shared_task(name="pictime.sync_connection", acks_late=True)
def sync_connection_task(connection_id: int, trigger: str = "schedule") -> str:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "missing"
    return sync.sync_connection(connection, trigger).status


@shared_task(name="pictime.sync_all_connections")
def sync_all_connections() -> int:
    """Beat: a sync per connected company, and webhook events stored but never queued."""
    for event_pk in webhooks.requeue_stale_events():
        process_webhook_event.delay(event_pk)
    return len(sync.enqueue_all())


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
