"""The use cases that hand work to the worker: each changes its rows, then queues the task after
commit. Tasks import the services that do the work, never this module, so imports point one way:
views, admin, connect → here → pictime.tasks → the working services.
"""

import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from crm.projects.activity import log_activity
from crm.projects.models import Activity
from pictime.models import AutoCreateJob, Connection, GalleryLink
from pictime.services import webhooks
from pictime.tasks import autocreate_gallery, process_webhook_events, sync_connection_task, sync_link_task

log = logging.getLogger(__name__)
Status = AutoCreateJob.Status


def _enqueue_autocreate(jobs: list[AutoCreateJob]) -> None:
    for job in jobs:
        transaction.on_commit(lambda job=job: autocreate_gallery.delay(job.project_id, job.payment_id))


def retry_autocreate(job: AutoCreateJob) -> bool:
    """The panel's (and support's) Retry after the last attempt failed: a fresh set of attempts.
    False when the job is not failed (already running, waiting or done)."""
    updated = AutoCreateJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, finished_at=None, updated_at=timezone.now()
    )
    if updated:
        log_activity(job.project, Activity.Kind.INTEGRATION, "Retrying to create the Pic-Time gallery.")
        _enqueue_autocreate([job])
    return bool(updated)


def resume_waiting_jobs(connection: Connection) -> list[int]:
    """After a reconnection: the auto-creates that waited for it run now."""
    jobs = list(
        AutoCreateJob.objects.for_company(connection.company_id)
        .filter(status=Status.WAITING_RECONNECT)
        .only("pk", "project_id", "payment_id")
    )
    if jobs:
        AutoCreateJob.objects.filter(pk__in=[job.pk for job in jobs], status=Status.WAITING_RECONNECT).update(
            status=Status.PENDING, next_attempt_at=None, updated_at=timezone.now()
        )
        _enqueue_autocreate(jobs)
    return [job.pk for job in jobs]


def queue_company_sync(connection: Connection, trigger: str) -> None:
    """The company's links and the account's orders, synced by a worker now: on connecting (or
    reconnecting), and when support re-runs a sync (it waits its turn under the rate limit there,
    not in a web request)."""
    transaction.on_commit(lambda: sync_connection_task.delay(connection.pk, trigger))


def queue_link_sync(link: GalleryLink) -> None:
    """A link whose earlier orders couldn't be fetched at once: a worker fetches them, retrying."""
    transaction.on_commit(lambda: sync_link_task.delay(link.pk))


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
    try:
        process_webhook_events.delay(connection_id)
    except Exception:  # the broker is down: the event is stored, the beat queues it again
        cache.delete(key)
        log.exception("pictime.webhook.queue_failed", extra={"connection": connection_id})
