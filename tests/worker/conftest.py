"""A real Celery worker on Redis, started by the test against the test's own database."""

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def broker_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/0"


def cache_url():
    """The cache the test process and its workers share (webhook processing's queued key): a Redis db
    of the broker's server that only the worker tests use, one at a time (broker_to_ourselves)."""
    return broker_url().rsplit("/", 1)[0] + "/3"


def database_url(settings):
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def broker_to_ourselves():
    """The Redis broker is shared by the pytest-xdist workers (each has its own database and sandbox):
    one test at a time starts Celery workers on it, or another test's workers would take its tasks."""
    key = hashlib.sha256(broker_url().encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"crm-tests-broker-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


@pytest.fixture
def celery_worker_process(broker_to_ourselves, settings, pictime_settings):
    """Starts `celery -A crm worker` on Redis with the test database; the test's own process stops
    running tasks eagerly and publishes to the same broker. Stopped by its pid at the end."""
    with celery_workers(settings, count=1, concurrency=2) as processes:
        yield processes[0]


@pytest.fixture
def two_celery_workers(broker_to_ourselves, settings, pictime_settings):
    """Two separate worker processes (one task at a time each), as production runs more than one."""
    with celery_workers(settings, count=2, concurrency=1) as processes:
        yield processes


@contextlib.contextmanager
def celery_workers(settings, *, count, concurrency):
    from crm.celery import app

    broker = broker_url()
    workdir = tempfile.mkdtemp(prefix="crm-worker-")
    # The production settings (crm.settings, not the test settings' eager Celery), with the test
    # process's keys (it encrypted the tokens the workers read) and Pic-Time at the sandbox.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "DATABASE_URL": database_url(settings),
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": cache_url(),
        "CELERY_RESULT_BACKEND": "django-db",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS": "1",
        "SITE_URL": settings.SITE_URL,
        "PICTIME_BASE_URL": settings.PICTIME_BASE_URL,
        "PICTIME_CLIENT_ID": settings.PICTIME_CLIENT_ID,
        "PICTIME_CLIENT_SECRET": settings.PICTIME_CLIENT_SECRET,
    }
    previous = (app.conf.task_always_eager,)
    app.conf.task_always_eager = False
    if app.conf.broker_url != broker:  # before the first publish of this run (eager until now)
        app.conf.broker_url = broker
    app.control.purge()
    processes, logfiles = [], []
    for n in range(count):
        pidfile, logfile = os.path.join(workdir, f"worker{n}.pid"), os.path.join(workdir, f"worker{n}.log")
        logfiles.append(logfile)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "crm",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    str(concurrency),
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"test-{os.getpid()}-{n}@%h",
                    "--pidfile",
                    pidfile,
                    "--logfile",
                    logfile,
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        from crm.celery import ping

        deadline = time.monotonic() + 60
        while True:
            try:
                # Earlier eager tasks in this process can leave Celery believing it is inside a task.
                ready = ping.apply_async(args=["ready"]).get(timeout=5, disable_sync_subtasks=False)
                assert ready == "ready"
                break
            except Exception as error:
                if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                    log = "".join(
                        Path(f).read_text(errors="replace") if Path(f).exists() else "" for f in logfiles
                    )
                    raise RuntimeError(
                        f"the Celery worker did not answer ({error!r}):\n{log[-3000:]}"
                    ) from None
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        app.conf.task_always_eager = previous[0]
