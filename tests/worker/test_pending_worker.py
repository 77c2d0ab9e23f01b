"""Pending work on a real Celery worker (Redis, PostgreSQL): a worker child killed in the middle of an
auto-create, and the database failing as it does while PostgreSQL restarts."""

import os
import signal
import time
from decimal import Decimal

import pytest
from django.db import connection as db

from crm.payments.services import record_payment
from pictime.models import AutoCreateJob, GalleryLink
from pictime.services.connection import set_auto_create
from tests.waiting import first_sync_done, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def children(pid: int) -> list[int]:
    """The worker's pool processes (prefork children of its main process)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(child) for child in f.read().split()]


def job_of(project):
    return AutoCreateJob.objects.filter(project=project).first()


def test_a_worker_child_killed_in_the_middle_of_an_auto_create_leaves_one_gallery(
    celery_worker_process, connection, installment, sandbox, pictime_account
):
    set_auto_create(connection, True)
    assert first_sync_done(connection)
    sandbox.set_faults(hang_next=1, hang_next_seconds=3)  # the create is at Pic-Time when the child dies
    project = installment.invoice.project
    record_payment(installment=installment, amount=Decimal("1000.00"), method="card")

    assert wait_until(
        lambda: (job := job_of(project)) and job.status == AutoCreateJob.Status.RUNNING, timeout=30
    )
    time.sleep(0.5)  # its request sent
    killed_at = time.monotonic()
    for child in children(celery_worker_process.pid):
        os.kill(child, signal.SIGKILL)

    def linked():
        job = job_of(project)
        return (
            job.status == AutoCreateJob.Status.SUCCEEDED
            and GalleryLink.objects.filter(project=project).exists()
        )

    assert wait_until(linked, timeout=50), job_of(project).__dict__
    # The message came back to the worker at once and took its own claim back: no lease was waited for.
    assert time.monotonic() - killed_at < 40
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert celery_worker_process.poll() is None  # the main process started new children


@pytest.fixture
def database_restarting():
    """The auto-create job's UPDATEs fail as PostgreSQL answers while it shuts down (SQLSTATE 57P01,
    an OperationalError), the first `n` times: a trigger of the test database, dropped at the end."""
    with db.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS test_restart_failures")
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION test_restarting() RETURNS trigger AS $$
            BEGIN
                IF nextval('test_restart_failures') <= TG_ARGV[0]::int THEN
                    RAISE EXCEPTION 'terminating connection due to administrator command'
                        USING ERRCODE = '57P01';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
        cursor.execute(
            "CREATE TRIGGER test_restarting BEFORE UPDATE ON pictime_autocreatejob "
            "FOR EACH ROW EXECUTE FUNCTION test_restarting(2)"
        )
    yield
    with db.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_restarting ON pictime_autocreatejob")
        cursor.execute("DROP FUNCTION IF EXISTS test_restarting()")
        cursor.execute("DROP SEQUENCE IF EXISTS test_restart_failures")


def test_a_database_restart_met_by_the_task_is_retried_not_dropped(
    celery_worker_process, connection, installment, sandbox, pictime_account, database_restarting
):
    set_auto_create(connection, True)
    assert first_sync_done(connection)
    project = installment.invoice.project
    record_payment(installment=installment, amount=Decimal("1000.00"), method="card")

    def done():
        job = job_of(project)
        return job is not None and job.status == AutoCreateJob.Status.SUCCEEDED

    # Twice the claim fails as the database shuts down; Celery retries the task (1 s, 2 s) well before
    # the sweep would (a lease), and the gallery is made once.
    assert wait_until(done, timeout=30), job_of(project).__dict__
    with db.cursor() as cursor:
        cursor.execute("SELECT last_value FROM test_restart_failures")
        assert cursor.fetchone()[0] >= 3  # the failed claims happened
    job = job_of(project)
    assert job.attempts == 1  # the failed claims changed nothing
    assert sandbox.stats(pictime_account["id"])["galleries"] == 1
    assert GalleryLink.objects.filter(project=project).count() == 1
