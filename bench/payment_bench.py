"""record_payment on PostgreSQL: payments recorded one after another, per second, and its queries.

    .venv/bin/python bench/payment_bench.py                    # 1,000 first payments, 1,000 later ones
    .venv/bin/python bench/payment_bench.py --payments 200

Each project's invoice has 6 installments: the first payment of a project is its first-paid moment
(the auto-create task is published to Redis, as in production; no worker consumes it, the queue is
purged at the end), the later ones pay the other installments. DEBUG off. Uses its own database
(dropped and created again) and Redis db. Prints payments/s, CPU ms a payment (this process and its
PostgreSQL backend) and queries a payment. Goals: >= 100 payments/s, <= 10 ms CPU, <= 5 queries.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000, help="projects (first payments)")
    parser.add_argument("--database", default="crm_payment_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    from bench.postgres import fresh_database
    from bench.probe import PostgresCPU

    env = {
        "DEBUG": "false",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleS0=",
        "DATABASE_URL": fresh_database(args.database),
        "CELERY_BROKER_URL": args.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.celery import app
    from crm.clients.models import Client
    from crm.companies.services import sign_up
    from crm.payments.models import Installment
    from crm.payments.services import create_invoice, record_payment, send_invoice
    from crm.projects.services import create_project

    owner = sign_up(
        company_name="Bench Studio", name="Owner", email="owner@bench.test", password="bench-password-123"
    )
    company = owner.membership.company
    client = Client.objects.create(company=company, name="Client", email="client@bench.test")
    print(f"setting up {args.payments} projects ...", flush=True)
    firsts, laters = [], []
    for p in range(args.payments):
        project = create_project(company=company, client=client, name=f"Wedding {p}", type="wedding")
        schedule = [(Decimal("100.00"), datetime.date(2027, 1, 1 + i)) for i in range(6)]
        invoice = send_invoice(create_invoice(project=project, title="Collection", schedule=schedule))
        first, *rest = Installment.objects.filter(invoice=invoice).order_by("position")
        firsts.append(first)
        laters.append(rest[p % len(rest)])
    app.control.purge()
    postgres = PostgresCPU(env["DATABASE_URL"])  # this process's backend: the payments' share of PostgreSQL

    def run(installments):
        postgres.mark()
        started, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as ctx:
            for installment in installments:
                record_payment(installment=installment, amount=Decimal("100.00"), method="card")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        statements = [q["sql"] for q in ctx.captured_queries]
        queries = [sql for sql in statements if sql not in ("BEGIN", "COMMIT")]
        return wall, cpu, postgres.seconds(), len(queries), len(statements) - len(queries)

    try:
        for label, installments in (("first payments", firsts), ("later payments", laters)):
            wall, cpu, pg_cpu, queries, transaction = run(installments)
            n = len(installments)
            print(
                f"{label + ':':16} {n} in {wall:.2f} s = {n / wall:.0f} payments/s; "
                f"{1000 * cpu / n:.1f} ms CPU (this process) + {1000 * pg_cpu / n:.1f} ms PostgreSQL "
                f"= {1000 * (cpu + pg_cpu) / n:.1f} ms; {queries / n:.1f} queries "
                f"(+ {transaction / n:.0f} BEGIN/COMMIT) a payment"
            )
    finally:
        app.control.purge()
        postgres.close()
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
