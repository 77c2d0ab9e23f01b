"""Waiting in tests for what another process or thread does (a worker, a webhook, a server), and
running jobs in threads at once; driving the beat's retries of an auto-create job."""

import threading
import time

from django.db import connections
from django.utils import timezone

from pictime.models import AutoCreateJob, SyncRun
from pictime.tasks import run_pending_work


def wait_until(predicate, timeout=15.0, interval=0.2):
    """`predicate()`'s first true value within `timeout` seconds, else its last (false) value:
    callers assert on it, with what to show when it never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def at_once(*jobs, timeout=60.0):
    """Runs each job in its own thread, all released together (as concurrent requests or workers
    would be); returns (results, errors), one of each per job, None where there was none."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
            errors[i] = error
        finally:
            connections.close_all()  # this thread's database connections

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors


def drive_retries(job, timeout=15):
    """What the beat does: run the auto-create job again whenever its retry is due, until it stops
    retrying (or `timeout` seconds pass)."""
    deadline = time.monotonic() + timeout
    job.refresh_from_db()
    while job.status == AutoCreateJob.Status.RETRYING and time.monotonic() < deadline:
        wait = (job.next_attempt_at - timezone.now()).total_seconds()
        time.sleep(max(0.0, wait) + 0.01)
        run_pending_work()
        job.refresh_from_db()
    return job


def first_sync_done(connection):
    """Connecting queued a first sync on the worker: let it finish before faults are set, so the
    faults meet what the test sends next, not the sync's requests."""
    return wait_until(
        lambda: SyncRun.objects.filter(connection=connection, finished_at__isnull=False).exists(), timeout=60
    )
