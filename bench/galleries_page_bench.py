"""How fast is the studio's Galleries page with 1,000 linked galleries and 20,000 orders, next to a
minimal page?

    python bench/galleries_page_bench.py [--galleries 1000] [--orders 20000] [--requests 1000]
                                         [--rounds 10] [--threads 4] [--workers 2]

Seeds one company (SQLite in a temp dir, or the database at DATABASE_URL: it must exist; the bench
adds its own company) with `--galleries` links over 200 projects, in every state, `--orders` photo
sales spread over 14 months (5 % refunded, 2 % cancelled, a few in EUR) and 600 session payments;
starts gunicorn (2 sync workers, bench.settings_bench) on a free loopback port; then sends the same
number of requests to /bench/minimal/ (a member's smallest page) and to /galleries/ (its default
view, and sorted by sales: its figures kept in the cache) and "cold" (the default view right after
a project's stamp moved, as after a new order or a webhook: everything computed again) in
alternating rounds from a few client threads. Prints requests/s, p50 and p99 of each, the ratio
to the minimal page, the page's SQL statements (warm and cold), and the Export CSV of the last 12
months: rows, seconds and the web worker's memory before and after (it streams).
Goal: ≥ 50 pages/s. Loopback only; bounded loops.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.workspace_bench import (  # noqa: E402
    bench_env,
    connected_studio,
    served,
    session_for,
    warmed_and_measured,
)


def seed(galleries, orders):
    """The company, its links, orders and payments; returns (session key, cookie name, owner)."""
    import django

    django.setup()
    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection as db
    from django.utils import timezone

    from crm.clients.models import Client
    from crm.payments.models import Invoice, Payment
    from crm.projects.models import Project
    from pictime.models import GalleryLink, Order

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(23)
    tag, owner, connection = connected_studio()
    company = owner.membership.company
    clients = Client.objects.bulk_create(
        Client(company=company, name=f"Client {n}", email=f"client{n}@bench.test") for n in range(200)
    )
    projects = Project.objects.bulk_create(
        Project(company=company, client=clients[n], name=f"Project {n}", portal_token=f"{tag}-{n}")
        for n in range(200)
    )
    now = timezone.now()
    day = datetime.timedelta(days=1)
    links = []
    for n in range(galleries):
        state = n % 10  # 6 online (1 expiring soon), 2 offline, 1 expired, 1 deleted
        links.append(
            GalleryLink(
                company=company,
                project=projects[n % len(projects)],
                connection=connection,
                account_id=connection.account_id,
                gallery_id=f"gal_{tag}_{n}",
                name=f"Bench gallery {n}",
                status="offline" if state in (6, 7) else "online",
                image_count=50 + n % 400,
                public_url=f"https://pictime.example/g/{n}",
                edit_url=f"https://pictime.example/edit/{n}",
                expires_at=now + rng.randint(1, 29) * day
                if state == 0
                else now - rng.randint(1, 90) * day
                if state == 8
                else now + rng.randint(31, 400) * day
                if state < 6
                else None,
                deleted_at=now - day if state == 9 else None,
                last_synced_at=now - rng.randint(0, 3600) * datetime.timedelta(seconds=1),
            )
        )
    GalleryLink.objects.bulk_create(links, batch_size=1000)
    batch = []
    for n in range(orders):
        placed = now - datetime.timedelta(seconds=rng.randint(0, 425 * 86400))
        status = "refunded" if n % 20 == 0 else "cancelled" if n % 50 == 1 else "paid"
        total = Decimal(rng.randint(900, 30000)) / 100
        batch.append(
            Order(
                company=company,
                order_id=f"ord_{tag}_{n}",
                gallery_id=f"gal_{tag}_{rng.randrange(galleries)}",
                number=f"PT-{100000 + n}",
                status=status,
                currency="EUR" if n % 97 == 0 else "USD",
                subtotal=total,
                total=total,
                items=[],
                customer_name=f"Customer {n}",
                placed_at=placed,
                remote_updated_at=placed,
            )
        )
        if len(batch) == 2000:
            Order.objects.bulk_create(batch)
            batch = []
    Order.objects.bulk_create(batch)
    invoices = Invoice.objects.bulk_create(
        Invoice(company=company, project=p, number=i + 1, title="Collection", status="paid")
        for i, p in enumerate(projects)
    )
    Payment.objects.bulk_create(
        Payment(
            company=company,
            project_id=invoices[n % len(invoices)].project_id,
            invoice=invoices[n % len(invoices)],
            amount=Decimal(rng.randint(300, 3000)),
            method="card",
            paid_at=now - datetime.timedelta(seconds=rng.randint(0, 365 * 86400)),
            number=n // len(invoices) + 1,
        )
        for n in range(600)
    )
    if db.vendor == "postgresql":
        # What autovacuum does to a settled database: statistics, and the visibility map that lets
        # PostgreSQL answer from an index alone.
        with db.cursor() as cursor:
            for table in ("pictime_order", "pictime_gallerylink", "payments_payment", "projects_project"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return (*session_for(owner), owner)


def statements(owner):
    """The page's SQL statements, counted in this process with Django's own test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pictime.models import touch_company

    http = Client(HTTP_HOST="127.0.0.1")
    http.force_login(owner)
    counts = {}
    for query in ({}, {"sort": "-sales"}, {"status": "online", "q": "gallery 9", "page": "2"}):
        touch_company(owner.membership.company_id)
        for state in ("cold", "warm"):
            with CaptureQueriesContext(connection) as captured:
                assert http.get("/galleries/", query).status_code == 200
            counts.setdefault(state, []).append(len(captured))
    return counts


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def export(base, cookies, server):
    """Export CSV of the default period: (rows, seconds, max RSS of the web workers before, after)."""
    children = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    before = max(rss_kb(p) for p in children)
    started = time.perf_counter()
    rows = 0
    with requests.get(f"{base}/galleries/export.csv", cookies=cookies, stream=True, timeout=120) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            rows += 1 if line else 0
    seconds = time.perf_counter() - started
    after = max(rss_kb(p) for p in children)
    return rows - 1, seconds, before, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--galleries", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000, help="per page (default 1000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per page (default 10)")
    args = parser.parse_args()
    total = max(args.threads, min(args.requests, 20_000))

    with tempfile.TemporaryDirectory(prefix="galleries-bench-") as var_dir:
        env = bench_env(var_dir)
        os.environ.update(env)
        print(f"seeding {args.galleries} galleries and {args.orders} orders ...", flush=True)
        session_key, cookie_name, owner = seed(args.galleries, args.orders)
        counts = statements(owner)
        db = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
        cookies = {cookie_name: session_key}
        with served(env, var_dir, args.workers) as (base, server):
            pages = {
                "minimal": (f"{base}/bench/minimal/", "ok "),
                "galleries": (f"{base}/galleries/", "Top 10 galleries by sales"),
                "by sales": (f"{base}/galleries/?sort=-sales", "Top 10 galleries by sales"),
                "cold": (f"{base}/bench/galleries-after-a-change/", "Top 10 galleries by sales"),
            }
            results = warmed_and_measured(pages, cookies, total, args)
            rows, seconds, before, after = export(base, cookies, server)

    print(
        f"Galleries page, {args.galleries} linked galleries and {args.orders} orders in one company, vs a "
        f"minimal page ({db}, gunicorn {args.workers} workers,"
    )
    print(
        f"{args.threads} client threads, {total} requests each in {args.rounds} alternating rounds, loopback)"
    )
    print(f"{'page':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")
    minimal = results["minimal"][0]
    for name, (rps, p50, p99) in results.items():
        print(f"{name:<10} {rps:>8.1f} {p50:>8.2f} {p99:>8.2f} {rps / minimal:>6.2f}")
    worst = min(results["galleries"][0], results["by sales"][0])
    print(
        f"galleries page: {worst:.1f} pages/s at the slower view "
        f"(goal >= 50: {'met' if worst >= 50 else 'NOT met'})"
    )
    print(
        f"cold (every figure computed again after a change): {results['cold'][0]:.1f} pages/s, "
        f"ratio {results['cold'][0] / minimal:.2f}"
    )
    print(
        "SQL statements per page (default, by sales, filtered page 2): "
        f"warm {counts['warm']}, cold {counts['cold']} (cold: right after a change)"
    )
    print(
        f"Export CSV, last 12 months: {rows} orders in {seconds:.2f} s; web worker RSS "
        f"{before / 1024:.0f} MB before, {after / 1024:.0f} MB after"
    )


if __name__ == "__main__":
    main()
