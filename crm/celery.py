"""The Celery application shared by the web process, the worker and beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="crm.ping")
def ping(value="pong"):
    """A task that does nothing but answer: proves a worker consumes from the broker."""
    return value


def _pictime_beat_schedule():
    from django.conf import settings

    return {
        # Keeps gallery statuses, image counts and orders current beside the webhooks.
        "pictime-sync-connections": {
            "task": "pictime.sync_all_connections",
            "schedule": float(settings.PICTIME_SYNC_INTERVAL_SECONDS),
        },
        # Auto-create retries that are due, and runs whose worker died (a lost countdown message).
        "pictime-run-due-autocreate-jobs": {
            "task": "pictime.run_due_autocreate_jobs",
            "schedule": 60.0,
        },
    }


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **_pictime_beat_schedule()}
