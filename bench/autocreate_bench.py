"""Auto-create under load: N first payments across M companies through the CRM as production runs
it (bench/stack.py: PostgreSQL, Redis, gunicorn receiving the sandbox's webhooks, a Celery worker,
DEBUG off), against the Pic-Time sandbox and its rate limit (10 req/s, burst 20 per account).

    .venv/bin/python bench/autocreate_bench.py                          # burst: 1,000 payments, 50 companies
    .venv/bin/python bench/autocreate_bench.py --payments 200 --companies 10
    .venv/bin/python bench/autocreate_bench.py --rate 10 --seconds 60   # steady: 10 payments/s for 60 s

Prints payment-to-link latency (p50/p95/max), links per second from the first payment to the last
link, CPU milliseconds per first payment of each process (the bench's own for recording payments,
the web process, the worker, PostgreSQL's backends of the bench database, the sandbox; from /proc),
the SQL statements per payment, per task and per webhook request, and then the ceiling: the
sandbox's own create rate, its webhooks delivered to the same CRM, measured in the same run
(`--ceiling 0` skips it). Exactly one gallery per payment, or RESULT: MISMATCH.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379. Uses its own
database (dropped and created again) and Redis db.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0, help="payments a second (0: all at once)")
    parser.add_argument("--seconds", type=float, default=0, help="with --rate: payments = rate x seconds")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count(), help="worker processes")
    parser.add_argument("--ceiling", type=int, default=None, help="creates for the sandbox's own rate")
    parser.add_argument("--ceiling-threads", type=int, default=8)
    parser.add_argument("--database", default="crm_autocreate_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.rate and args.seconds:
        args.payments = round(args.rate * args.seconds)
    ceiling = args.payments if args.ceiling is None else args.ceiling

    from bench.stack import Stack, print_cpu, print_queries

    stack = Stack(database=args.database, broker=args.broker, concurrency=args.concurrency)
    try:
        stack.setup_django()
        connections, installments = _set_up(stack.sandbox, args.payments, args.companies)
        return _run(stack, args, connections, installments, ceiling, print_cpu, print_queries)
    finally:
        stack.stop()


def _set_up(sandbox, payments, companies):
    from bench.seed import auto_create_studios, sent_invoice
    from crm.payments.models import Installment

    print(f"setting up {companies} companies and {payments} projects ...", flush=True)
    connections, projects = auto_create_studios(sandbox, projects=payments, companies=companies, name="Bench")
    return connections, [Installment.objects.get(invoice=sent_invoice(project)) for project in projects]


def _wait(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _run(stack, args, connections, installments, ceiling, print_cpu, print_queries):
    from django.db import connection

    from bench import probe
    from crm.payments.services import record_payment
    from pictime.models import AutoCreateJob, GalleryLink, WebhookDelivery, WebhookEvent

    n = args.payments
    meter = stack.meter()
    time.sleep(1)  # the set-up's own webhooks (none expected) and tasks settle
    probe.reset(args.broker)
    statements = Counter()

    def count(execute, sql, params, many, context):
        statements["savepoint" if sql.startswith(("SAVEPOINT", "RELEASE")) else "queries"] += 1
        return execute(sql, params, many, context)

    mode = f"{args.rate:g}/s" if args.rate else "all at once"
    print(f"paying {n} first payments ({mode}) ...", flush=True)
    meter.mark()
    started, payment_cpu = time.monotonic(), 0.0
    with connection.execute_wrapper(count):
        for i, installment in enumerate(installments):
            if args.rate:
                pause = started + i / args.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            cpu = time.process_time()
            record_payment(installment=installment, amount=Decimal("100.00"), method="card")
            payment_cpu += time.process_time() - cpu
    paid_in = time.monotonic() - started

    def done():
        return (
            GalleryLink.objects.count() >= n
            and WebhookEvent.objects.filter(type="gallery.created").count() >= n
            and not WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED).exists()
        )

    finished = _wait(done, args.timeout)
    cpu = meter.read()
    cpu["bench (payments)"] = payment_cpu
    queries = probe.read(args.broker)

    rows = list(GalleryLink.objects.values_list("created_at", "project__first_paid_at"))
    latencies = sorted((created - paid).total_seconds() for created, paid in rows)
    span = (max(c for c, _ in rows) - min(p for _, p in rows)).total_seconds() if rows else float("nan")
    galleries = sum(stack.sandbox.stats(c.account_id)["galleries"] for c in connections)
    limited = sum(stack.sandbox.stats(c.account_id)["rate_limited"] for c in connections)
    jobs = Counter(AutoCreateJob.objects.values_list("status", flat=True))
    webhooks = Counter(WebhookDelivery.objects.values_list("outcome", flat=True))
    events = Counter(WebhookEvent.objects.values_list("status", flat=True))

    def pct(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")

    links_per_s = len(rows) / span if rows else 0.0
    print(f"payments:                {n} across {args.companies} companies, {mode}")
    print(f"worker concurrency:      {args.concurrency}; web: gunicorn 2 workers x 4 threads; DEBUG off")
    print(f"payments recorded in:    {paid_in:.2f} s")
    print(f"first payment→last link: {span:.2f} s = {links_per_s:.1f} links/s")
    print(f"links:                   {len(latencies)}{'' if finished else ' (timed out)'}")
    print(f"latency p50 / p95 / max: {pct(0.5):.3f} s / {pct(0.95):.3f} s / {pct(1.0):.3f} s")
    print(f"mean latency:            {statistics.mean(latencies) if latencies else 0:.3f} s")
    print(f"galleries at Pic-Time:   {galleries} (expected {n})")
    print(f"429s from Pic-Time:      {limited}")
    print(f"jobs by status:          {dict(jobs)}")
    print(f"webhooks received:       {dict(webhooks)}; events {dict(events)}")
    print_cpu(cpu, n, "first payment")
    q, sp = statements["queries"] / n, statements["savepoint"] / n
    print(f"queries per payment:     {q:.1f} (+ {sp:.1f} savepoint statements)")
    print_queries(queries)
    ok = finished and galleries == n == len(latencies)

    if ceiling:
        rate = _sandbox_ceiling(stack, connections, ceiling, args.ceiling_threads, meter, print_cpu)
        print(f"links/s ÷ sandbox ceiling: {links_per_s / rate:.2f}")
    print("RESULT:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


def _sandbox_ceiling(stack, connections, n, threads, meter, print_cpu):
    """The sandbox alone: n gallery creates from `threads` client threads across every account, until
    the CRM has received each one's gallery.created webhook."""
    from django.db import connections as db_connections

    from pictime.errors import Throttled
    from pictime.models import WebhookDelivery
    from pictime.schemas import GalleryCreate

    clients = [c.api() for c in connections]  # as clicks: the burst, no pacing
    received = WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.ACCEPTED).count()
    print(f"sandbox ceiling: {n} creates from {threads} threads ...", flush=True)
    errors = []
    meter.mark()
    started = time.monotonic()

    def create(worker):
        try:
            for i in range(worker, n, threads):
                while True:
                    try:
                        clients[i % len(clients)].create_gallery(
                            GalleryCreate(name=f"Ceiling {i}", external_ref=f"ceiling-{i}"),
                            idempotency_key=f"bench-ceiling-{i}",
                        )
                        break
                    except Throttled as wait:  # the account's shared limit: its turn comes
                        time.sleep(wait.wait)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            db_connections.close_all()

    pool = [threading.Thread(target=create, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    created_in = time.monotonic() - started
    target = received + n
    _wait(
        lambda: WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.ACCEPTED).count() >= target,
        120,
    )
    elapsed = time.monotonic() - started
    cpu = meter.read()
    rate = n / elapsed
    print(f"sandbox creates:         {n} in {created_in:.2f} s, webhooks received by {elapsed:.2f} s")
    print(f"sandbox ceiling:         {rate:.1f} creates/s with webhooks delivered; errors {len(errors)}")
    print_cpu({"sandbox": cpu["sandbox"]}, n, "sandbox create")
    return rate


if __name__ == "__main__":
    sys.exit(main())
