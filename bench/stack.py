"""The CRM as production runs it, on this machine, for a benchmark: PostgreSQL (a fresh database),
Redis, the Pic-Time sandbox, the web process on gunicorn (2 workers x 4 threads) receiving the
sandbox's webhooks, and a Celery worker (one process per core unless told). DEBUG off everywhere.

The web process and the worker are the CRM's own, started through bench/probe.py so the bench can
read how many SQL statements each task and request sent, and how much CPU each process used.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent

# Values that pass the production check in crm/settings.py; never used outside a benchmark.
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
BENCH_ENCRYPTION_KEY = "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleS0="


def production_env(*, db_url: str, broker: str, cache: str, site_url: str) -> dict[str, str]:
    """The CRM's environment as production runs it, for a bench's processes: DEBUG off, kept database
    connections, Redis, the sandbox's OAuth client (bench/seed.py's), quiet logs."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": BENCH_ENCRYPTION_KEY,
        "DATABASE_URL": db_url,
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": cache,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PICTIME_CLIENT_ID": "bench-crm",
        "PICTIME_CLIENT_SECRET": "bench-crm-secret",
        "SITE_URL": site_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(
        self, *, database: str, broker: str, concurrency: int, web_workers: int = 2, threads: int = 4
    ):
        from bench.postgres import fresh_database
        from sandbox.testing import Sandbox

        self.db_url = fresh_database(database)
        self.broker = broker
        self.sandbox = Sandbox.start()
        self.web_port = free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.workdir = tempfile.mkdtemp(prefix="crm-bench-")
        self.env = {
            # As in production: throttles and the webhook task's queued key in Redis.
            **production_env(db_url=self.db_url, broker=broker, cache=broker, site_url=self.web_url),
            "CELERY_WORKER_CONCURRENCY": str(concurrency),
            "PICTIME_BASE_URL": self.sandbox.url,
            "BENCH_PROBE_REDIS": broker,
        }
        os.environ.update(self.env)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.sandbox.register_client(
            "bench-crm", "bench-crm-secret", [f"{self.web_url}/integrations/pictime/callback/"]
        )
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:crm.gunicorn_conf",  # as the Procfile runs it: its access log included
                "bench.probe:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(web_workers),
                "--threads",
                str(threads),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**self.env, "BENCH_PROBE_WSGI": "1"},
            stdout=open(os.path.join(self.workdir, "web.log"), "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "bench.probe",
                "worker",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--logfile",
                os.path.join(self.workdir, "worker.log"),
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(os.path.join(self.workdir, "worker.out"), "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )

    def setup_django(self):
        import django

        django.setup()
        from crm.celery import app, ping

        app.control.purge()
        ping.apply_async(args=["up"]).get(timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.web_url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.web.poll() is not None:
                raise RuntimeError("the CRM's web process did not start: " + self.log("web.log")[-2000:])
            time.sleep(0.2)

    def meter(self):
        from bench.probe import Meter, PostgresCPU

        return Meter(
            {"web": self.web.pid, "worker": self.worker.pid, "sandbox": self.sandbox._process.pid},
            PostgresCPU(self.db_url),
        )

    def log(self, name: str) -> str:
        path = Path(self.workdir, name)
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        for process in (self.worker, self.web):
            process.terminate()
        for process in (self.worker, self.web):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        from django.db import connections

        connections.close_all()
        self.sandbox.stop()


def print_cpu(cpu: dict[str, float], per: int, what: str) -> None:
    """CPU milliseconds per `what` of each process, and the CRM's share (web, worker, PostgreSQL)."""
    parts = [f"{name} {1000 * seconds / per:.1f}" for name, seconds in cpu.items() if name != "wall"]
    crm = [cpu[name] for name in ("web", "worker", "PostgreSQL", "bench (payments)") if name in cpu]
    total = f"; CRM (web, worker, PostgreSQL, payments) {1000 * sum(crm) / per:.1f}" if crm else ""
    print(f"CPU ms per {what}: " + ", ".join(parts) + total)


def print_queries(counts: dict[str, dict[str, int]]) -> None:
    for label, c in sorted(counts.items()):
        runs = max(1, c["runs"])
        print(
            f"queries per {label}: "
            + f"{c['queries'] / runs:.1f} (+ {c['transaction'] / runs:.1f} savepoint statements)"
            + f" over {c['runs']} runs"
        )
