"""The use cases that hand work to the worker: each changes its rows, then queues the task after
commit. Outside services/ because it imports the tasks, which import the services: imports point one
way: views, admin, receivers → here → pictime.tasks → the services (which announce work by signals).
"""

import contextlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from crm.celery import publish
from crm.projects.activity import log_activity
from crm.projects.models import Activity
from pictime.models import AutoCreateJob, Connection, GalleryLink, touch_projects
from pictime.services import autocreate, pending, webhooks
from pictime.tasks import (
    autocreate_gallery,
    gallery_published,
    process_webhook_events,
    send_expiry_reminder,
    sync_connection_task,
    sync_link_task,
)

log = logging.getLogger(__name__)
Status = AutoCreateJob.Status


def _enqueue_autocreate(jobs: list[tuple[int, int]]) -> None:
    """After commit, the jobs' messages ((project_id, payment_id) each). The rows are the record: a
    message the broker can't take is logged and left to the beat's sweep, never raised into the
    request (a payment succeeds with Redis down)."""

    def send():
        unsent = [project for project, payment in jobs if not publish(autocreate_gallery, project, payment)]
        if unsent:
            autocreate.mark_unsent(unsent)

    transaction.on_commit(send, robust=True)


def autocreate_for_first_payment(project_id: int, payment_id: int, company_id: int, paid_at) -> None:
    """In the transaction of a project's first payment: its auto-create job is recorded (pending)
    when auto-create applies, and its task sent after commit."""
    if autocreate.record_for_first_payment(project_id, payment_id, company_id, paid_at):
        _enqueue_autocreate([(project_id, payment_id)])


def retry_autocreate(job: AutoCreateJob) -> bool:
    """The panel's (and support's) Retry after the last attempt failed: a fresh set of attempts.
    False when the job is not failed (already running, waiting or done)."""
    updated = AutoCreateJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
        status=Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now() + autocreate.resend_after(),
        finished_at=None,
        updated_at=timezone.now(),
    )
    if updated:
        touch_projects([job.project_id])
        log_activity(job.project, Activity.Kind.INTEGRATION, "Retrying to create the Pic-Time gallery.")
        _enqueue_autocreate([(job.project_id, job.payment_id)])
    return bool(updated)


def resume_waiting_jobs(connection: Connection) -> list[int]:
    """After a reconnection: the auto-creates that waited for it run now."""
    jobs = list(
        AutoCreateJob.objects.for_company(connection.company_id)
        .filter(status=Status.WAITING_RECONNECT)
        .only("pk", "project_id", "payment_id")
    )
    if jobs:
        now = timezone.now()
        AutoCreateJob.objects.filter(pk__in=[job.pk for job in jobs], status=Status.WAITING_RECONNECT).update(
            status=Status.PENDING, next_attempt_at=now + autocreate.resend_after(), updated_at=now
        )
        touch_projects([job.project_id for job in jobs])
        _enqueue_autocreate([(job.project_id, job.payment_id) for job in jobs])
    return [job.pk for job in jobs]


def queue_company_sync(connection: Connection, trigger: str) -> None:
    """The company's links and the account's orders, synced by a worker now: on connecting (or
    reconnecting), and when support re-runs a sync (it waits its turn under the rate limit there,
    not in a web request)."""
    transaction.on_commit(lambda: sync_connection_task.delay(connection.pk, trigger))


def queue_link_sync(link: GalleryLink) -> None:
    """A link whose earlier orders couldn't be fetched at once: a worker fetches them, retrying. The
    work is recorded on the link (orders_due_at), so a lost message is sent again by the sweep."""
    pending.record(link, pending.ORDERS)
    pending.publish_on_commit(link.pk, pending.ORDERS, sync_link_task)


def queue_ready_email(link: GalleryLink) -> None:
    """In the transaction where a linked gallery goes online: the gallery-ready email and Delivered
    are recorded as due on the link and sent to a worker after commit (the task reads what was
    saved); if that message is lost, the beat's sweep sends it again."""
    pending.record(link, pending.READY_EMAIL)
    pending.publish_on_commit(link.pk, pending.READY_EMAIL, gallery_published)


def queue_reminder(link_id: int) -> None:
    """A requested expiry reminder, sent by a worker after commit."""
    transaction.on_commit(lambda: send_expiry_reminder.delay(link_id), robust=True)


def queue_webhook_processing(connection_id: int) -> None:
    """After a webhook event is stored (on commit): the connection's events are applied by a task,
    unless one is queued and not yet started; that one will find this event (services.webhooks).
    The key lives in the cache every web and worker process shares (CACHE_URL); with a cache of
    its own per process, events would wait for the key to expire or for the beat's requeue."""
    key = webhooks.queued_key(connection_id)
    try:
        first = cache.add(key, 1, timeout=webhooks.QUEUED_KEY_SECONDS)
    except Exception:  # the cache is down: queue a task anyway
        first = True
    if not first:
        return
    if not publish(process_webhook_events, connection_id):
        # The broker is down: the event is stored, the beat's sweep queues it again. The next
        # delivery may try sooner, unless the cache (Redis too, often) is down as well: then the key
        # expires by itself.
        with contextlib.suppress(Exception):
            cache.delete(key)
