"""What the benchmarks read from the CRM processes they start: the SQL statements each task and
each web request sends, and the CPU seconds of a process tree or of PostgreSQL's backends.

The worker runs as `celery -A bench.probe worker` and the web process as
`gunicorn bench.probe:application`: the CRM's own app and WSGI application, plus a count of the
statements sent through Django's documented `connection.execute_wrapper()`, added up in Redis
(BENCH_PROBE_REDIS) per task name and for web requests. Bench-only: nothing in the CRM imports it.
"""

import os
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from celery import signals

from crm.celery import app  # noqa: F401  (celery -A bench.probe finds the CRM's app here)

KEY = "bench:probe"
# What one request or task has sent so far: its start and finish signals run on its own thread
# (gunicorn threads, Celery's prefork child), so the count lives with the thread, not the process.
_local = threading.local()


def _redis():
    import redis

    if not hasattr(_local, "redis"):
        _local.redis = redis.Redis.from_url(os.environ["BENCH_PROBE_REDIS"])
    return _local.redis


def _counter(execute, sql, params, many, context):
    kind = "transaction" if sql.lstrip()[:9].upper() in ("SAVEPOINT", "RELEASE S", "ROLLBACK ") else "queries"
    _local.counts[kind] += 1
    return execute(sql, params, many, context)


def _start(label):
    """Counts this thread's statements from now on, under `label`."""
    from django.db import connection

    if getattr(_local, "stack", None) is None:
        _local.stack = ExitStack()
        # Each thread has its own connection object; the wrapper stays on it across reconnects.
        _local.stack.enter_context(connection.execute_wrapper(_counter))
    _local.counts = Counter()
    _local.label = label


def _finish():
    label = getattr(_local, "label", None)
    if label is None:
        return
    counts, _local.label = _local.counts, None
    pipe = _redis().pipeline()
    pipe.hincrby(KEY, f"{label}:runs", 1)
    for kind, n in counts.items():
        pipe.hincrby(KEY, f"{label}:{kind}", n)
    pipe.execute()


@signals.task_prerun.connect
def _task_started(sender=None, **kwargs):
    _start(sender.name)


@signals.task_postrun.connect
def _task_finished(**kwargs):
    _finish()


def read(redis_url: str) -> dict[str, dict[str, int]]:
    """{label: {"runs": n, "queries": n, "transaction": n}} counted so far."""
    import redis

    raw = redis.Redis.from_url(redis_url).hgetall(KEY)
    out: dict[str, dict[str, int]] = {}
    for key, value in raw.items():
        label, _, kind = key.decode().rpartition(":")
        out.setdefault(label, {"runs": 0, "queries": 0, "transaction": 0})[kind] = int(value)
    return out


def reset(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).delete(KEY)


def _wsgi():
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    request_started.connect(lambda **kw: _start("web"), weak=False)
    request_finished.connect(lambda **kw: _finish(), weak=False)
    return application


if os.environ.get("BENCH_PROBE_WSGI"):
    application = _wsgi()


# ---------------------------------------------------------------------------- CPU from /proc
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a process, or None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return int(fields[1]), (utime + stime) / _TICK, (cutime + cstime) / _TICK


def tree_cpu(root: int) -> float:
    """CPU seconds of a process and all its descendants, live or exited (and waited for)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat:
                parents.setdefault(stat[0], []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        stat = _stat(pid)
        if stat:
            total += stat[1] + stat[2]
            todo.extend(parents.get(pid, []))
    return total


class PostgresCPU:
    """CPU seconds of the PostgreSQL backends serving one database (polled from pg_stat_activity,
    so a backend that lives less than the poll interval is missed; with kept connections, few do).
    Not counted: the server's background processes (WAL writer, checkpointer, autovacuum)."""

    def __init__(self, dsn: str, interval: float = 0.2):
        import psycopg2

        self._db = psycopg2.connect(dsn)
        self._db.autocommit = True
        self._interval = interval
        self._seen: dict[int, float] = {}  # pid -> latest CPU seconds
        self._base: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poll()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _poll(self):
        with self._db.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cur.fetchall()]
        with self._lock:
            for pid in pids:
                stat = _stat(pid)
                if stat:
                    self._seen[pid] = stat[1]

    def _run(self):
        while not self._stop.wait(self._interval):
            self._poll()

    def mark(self) -> None:
        """From now on: what the backends use after this moment."""
        self._poll()
        with self._lock:
            self._base = dict(self._seen)

    def seconds(self) -> float:
        self._poll()
        with self._lock:
            return sum(cpu - self._base.get(pid, 0.0) for pid, cpu in self._seen.items())

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._db.close()


class Meter:
    """CPU seconds of named process trees and of PostgreSQL since mark()."""

    def __init__(self, trees: dict[str, int], postgres: PostgresCPU):
        self.trees, self.postgres = trees, postgres
        self._base: dict[str, float] = {}
        self._at = 0.0

    def mark(self):
        self.postgres.mark()
        self._base = {name: tree_cpu(pid) for name, pid in self.trees.items()}
        self._at = time.monotonic()

    def read(self) -> dict[str, float]:
        out = {name: tree_cpu(pid) - self._base[name] for name, pid in self.trees.items()}
        out["PostgreSQL"] = self.postgres.seconds()
        out["wall"] = time.monotonic() - self._at
        return out
