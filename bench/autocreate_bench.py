"""Auto-create under load: N first payments across M companies, real Celery workers on Redis,
PostgreSQL, and the Pic-Time sandbox with its rate limit (10 req/s, burst 20 per account).

    .venv/bin/python bench/autocreate_bench.py                       # 1,000 payments, 50 companies
    .venv/bin/python bench/autocreate_bench.py --payments 100 --companies 10

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379. Uses its own
database (dropped and created again) and Redis db; everything runs on loopback. Prints the elapsed
time, p50/p95 payment-to-link latency and the galleries at the sandbox (must equal the payments).
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8, help="worker processes (prefork)")
    parser.add_argument("--database", default="crm_autocreate_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    from bench.postgres import fresh_database

    db_url = fresh_database(args.database)

    from sandbox.testing import Sandbox

    sandbox = Sandbox.start()
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": args.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PICTIME_BASE_URL": sandbox.url,
        "PICTIME_CLIENT_ID": "bench-crm",
        "PICTIME_CLIENT_SECRET": "bench-crm-secret",
        "SITE_URL": "http://127.0.0.1:9",  # webhooks are not what is measured: refused at once
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "crm.settings"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from crm.celery import app
    from crm.clients.models import Client
    from crm.companies.services import sign_up
    from crm.payments.services import create_invoice, record_payment, send_invoice
    from crm.projects.services import create_project
    from pictime.models import AutoCreateJob, GalleryLink
    from pictime.schemas import TokenSet
    from pictime.services.connection import connect_account, set_auto_create

    app.control.purge()
    sandbox.register_client(
        "bench-crm", "bench-crm-secret", ["http://127.0.0.1:9/integrations/pictime/callback/"]
    )
    workdir = tempfile.mkdtemp(prefix="autocreate-bench-")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            str(args.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--pidfile",
            f"{workdir}/worker.pid",
            "--logfile",
            f"{workdir}/worker.log",
            "-n",
            "bench@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        from crm.celery import ping

        ping.apply_async(args=["up"]).get(timeout=60)
        print(f"setting up {args.companies} companies and {args.payments} projects ...", flush=True)
        accounts, installments = [], []
        for c in range(args.companies):
            owner = sign_up(
                company_name=f"Bench Studio {c}",
                name=f"Owner {c}",
                email=f"owner{c}@bench.test",
                password="bench-password-123",
            )
            company = owner.membership.company
            account = sandbox.create_account(name=f"Bench Account {c}", email=f"acc{c}@bench.test")
            accounts.append(account["id"])
            grant = sandbox.issue_grant(account["id"], "bench-crm")
            connection = connect_account(company=company, tokens=TokenSet.from_dict(grant)).connection
            set_auto_create(connection, True)
            client = Client.objects.create(company=company, name=f"Client {c}", email=f"client{c}@bench.test")
            for p in range(c, args.payments, args.companies):
                project = create_project(company=company, client=client, name=f"Wedding {p}", type="wedding")
                invoice = send_invoice(
                    create_invoice(
                        project=project,
                        title="Collection",
                        schedule=[(Decimal("100.00"), datetime.date(2027, 1, 1))],
                    )
                )
                installments.append(invoice.installments.get())

        print("paying ...", flush=True)
        started = time.monotonic()
        for installment in installments:
            record_payment(installment=installment, amount=Decimal("100.00"), method="card")
        paid_in = time.monotonic() - started
        deadline = started + args.timeout
        while GalleryLink.objects.count() < args.payments and time.monotonic() < deadline:
            time.sleep(0.5)
        elapsed = time.monotonic() - started

        latencies = []
        for link_created, paid_at in GalleryLink.objects.values_list("created_at", "project__first_paid_at"):
            latencies.append((link_created - paid_at).total_seconds())
        latencies.sort()
        galleries = sum(sandbox.stats(a)["galleries"] for a in accounts)
        limited = sum(sandbox.stats(a)["rate_limited"] for a in accounts)
        statuses = {}
        for status in AutoCreateJob.objects.values_list("status", flat=True):
            statuses[status] = statuses.get(status, 0) + 1

        def pct(q):
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

        print(f"payments:                {args.payments} across {args.companies} companies")
        print(f"worker concurrency:      {args.concurrency}")
        print(f"payments recorded in:    {paid_in:.2f} s")
        print(f"elapsed (to last link):  {elapsed:.2f} s")
        print(f"links:                   {len(latencies)}")
        print(f"latency p50 / p95 / max: {pct(0.5):.3f} s / {pct(0.95):.3f} s / {pct(1.0):.3f} s")
        print(f"mean latency:            {statistics.mean(latencies) if latencies else 0:.3f} s")
        print(f"galleries at Pic-Time:   {galleries} (expected {args.payments})")
        print(f"429s from Pic-Time:      {limited}")
        print(f"jobs by status:          {statuses}")
        ok = galleries == args.payments == len(latencies)
        print("RESULT:", "OK" if ok else "MISMATCH")
        return 0 if ok else 1
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        from django.db import connections

        connections.close_all()
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
