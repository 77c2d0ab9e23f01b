"""The Celery application shared by the web process, the worker and beat."""

import logging
import os
import time

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


def publish(task, *args) -> bool:
    """Sends a task's message; False when the broker can't take it (down, restarting), logged and never
    raised: the caller has recorded the work in a row that the beat's sweep sends again, and the
    request that made the change (a payment, a webhook) must still succeed."""
    if task.app.conf.task_always_eager:  # run here (tests): the task's own errors are not the broker's
        task.delay(*args)
        return True
    try:
        task.delay(*args)
    except Exception:  # kombu's OperationalError, a refused or reset connection, a timeout
        log.warning("celery.publish_failed", extra={"task": task.name, "task_args": args}, exc_info=True)
        return False
    return True


@signals.before_task_publish.connect
def stamp_sent_at(headers=None, **kwargs):
    """Every message says when it was sent (``task.request.get("sent_at")``): the beat's sweep of
    pending work (pictime.tasks.run_pending_work) knows from it which earlier messages the queue,
    first in first out, should have handed out already. A retry is stamped anew."""
    if headers is not None:
        headers["sent_at"] = time.time()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_connections(sender=None, **kwargs):
    """Around each task, what Django does around each request: drop a connection that is broken,
    in a failed transaction or older than CONN_MAX_AGE; keep the others (CELERY_DB_REUSE_MAX stops
    Celery's fixup from closing them all). Not for tasks run eagerly inside a caller's transaction."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@app.task(name="crm.ping", ignore_result=False)
def ping(value="pong"):
    """A task that does nothing but answer: proves a worker consumes from the broker. Its result is
    stored, because CI and the worker tests wait for it."""
    return value
