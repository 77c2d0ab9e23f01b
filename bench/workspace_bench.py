"""How fast is a project workspace with 10 linked Pic-Time galleries, next to a minimal page?

    python bench/workspace_bench.py [--requests 1000] [--rounds 10] [--threads 4] [--workers 2]

Seeds a company with a project holding 10 gallery links (SQLite in a temp dir, or the database at
DATABASE_URL: it must exist; the bench adds its own company), starts gunicorn (2 sync workers) on
a free loopback port with bench.settings_bench, logs in with a session cookie it creates, then
sends the same number of requests to /bench/minimal/ (a member's smallest page: session, user and
membership, no template) and to the workspace, from a few client threads. Prints requests/s, p50
and p99 of each, and the ratio workspace / minimal (goal ≥ 0.5). Loopback only; bounded loops.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.stack import free_port  # noqa: E402


def bench_env(var_dir):
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
            "CRM_VAR_DIR": str(var_dir),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "PICTIME_BASE_URL": "http://127.0.0.1:9",  # the page must not call Pic-Time: nothing listens
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def seed(galleries=10, sales=False):
    """Company, owner, project, Pic-Time connection and `galleries` links; returns (session key, url).

    With `sales`, the project also has a paid invoice and three of its galleries photo sales: the
    page then runs the queries a project without them skips (invoices, payments, orders)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from crm.clients.models import Client
    from crm.projects.services import create_project
    from pictime.models import GalleryLink

    call_command("migrate", interactive=False, verbosity=0)
    tag, owner, connection = connected_studio()
    company = owner.membership.company
    client = Client.objects.create(company=company, name="Bella Bride", email="bella@example.com")
    project = create_project(company=company, client=client, name="Bella & Ben Wedding", type="wedding")
    now = timezone.now()
    for n in range(galleries):
        GalleryLink.objects.create(
            company=company,
            project=project,
            connection=connection,
            account_id=connection.account_id,
            gallery_id=f"gal_{tag}_{n}",
            name=f"Bench gallery {n}",
            status="online" if n % 2 else "offline",
            published_at=now if n % 2 else None,
            image_count=100 + n,
            cover_url=f"https://pictime.example/cover/{n}.jpg",
            public_url=f"https://pictime.example/g/{n}",
            edit_url=f"https://pictime.example/edit/{n}",
            expires_at=now + timezone.timedelta(days=n + 1) if n % 3 == 0 else None,
            last_synced_at=now,
        )
    if sales:
        add_invoice_and_sales(project, tag)
    return (*session_for(owner), project.get_absolute_url())


def connected_studio():
    """A company signed up with a Pic-Time connection (rows only: the pages must not call Pic-Time):
    (tag, owner, connection)."""
    from crm.companies.services import sign_up
    from integrations.models import CompanyIntegration
    from pictime.models import Connection

    tag = secrets.token_hex(4)
    owner = sign_up(
        company_name=f"Bench Studio {tag}",
        name="Bench Owner",
        email=f"bench-{tag}@bench.test",
        password=tag * 4,
    )
    integration = CompanyIntegration.objects.create(
        company=owner.membership.company, provider="pictime", status=CompanyIntegration.Status.CONNECTED
    )
    connection = Connection.objects.create(
        company=owner.membership.company,
        integration=integration,
        account_id=f"acc_{tag}",
        account_name="Bench Pic-Time",
    )
    return tag, owner, connection


def session_for(owner):
    """A signed-in session of `owner`, made directly: (session key, cookie name)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(owner.pk)
    # The backend login() records once django-axes (first in the list, a check only) lets it through.
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = owner.get_session_auth_hash()
    session.create()
    return session.session_key, settings.SESSION_COOKIE_NAME


def add_invoice_and_sales(project, tag):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from crm.payments.services import create_invoice, record_payment, send_invoice
    from pictime.models import Order

    invoice = send_invoice(
        create_invoice(
            project=project,
            title="Wedding collection",
            schedule=[
                (Decimal("1000.00"), datetime.date(2027, 1, 15)),
                (Decimal("2500.00"), datetime.date(2027, 5, 1)),
            ],
        )
    )
    record_payment(installment=invoice.installments.first(), amount=Decimal("1000.00"), method="cash")
    items = [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "25.00"}]
    now = timezone.now()
    for n in range(3):
        Order.objects.create(
            company=project.company,
            order_id=f"ord_{tag}_{n}",
            gallery_id=f"gal_{tag}_{n}",
            number=f"PT-{n + 1000}",
            status="paid",
            currency="USD",
            subtotal=Decimal("50.00"),
            total=Decimal("50.00"),
            items=items,
            customer_name="Aunt May",
            placed_at=now,
            remote_updated_at=now,
        )


def start_gunicorn(env, port, log_path, *options, app="crm.wsgi:application"):
    """The CRM (or another WSGI `app`) on gunicorn at 127.0.0.1:`port` with `options` (workers,
    threads…), once it answers."""
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    return start_server(
        "gunicorn",
        [*command, "--log-level", "warning", *options],
        env,
        log_path,
        answers=lambda: requests.get(f"http://127.0.0.1:{port}/login/", timeout=1),
    )


def start_server(name, command, env, log_path, answers):
    """`command` started in the repository with its output in `log_path`, once `answers()` stops
    raising OSError (requests' errors are OSErrors too)."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{Path(log_path).read_text(errors='replace')}")
        try:
            answers()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{name} did not answer within 30 s")


@contextmanager
def served(env, var_dir, workers):
    """gunicorn with `workers` on a free loopback port while the block runs: (base URL, process)."""
    port = free_port()
    server = start_gunicorn(env, port, Path(var_dir, "gunicorn.log"), "--workers", str(workers))
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(timeout=10)


def warmed_and_measured(pages, cookies, total, args):
    """A warm-up of each page (imports, template caches, connections), then measure_interleaved."""
    for url, expect in pages.values():
        measure(url, cookies, args.threads * 5, args.threads, expect)
    return measure_interleaved(pages, cookies, total, args.threads, args.rounds)


def measure(url, cookies, total, threads, expect="", status=200):
    """`total` GETs of `url` from `threads` threads, each answered `status` with `expect` in its body;
    returns (latencies in s, elapsed s)."""
    per_thread = max(1, total // threads)

    def run(_):
        session = requests.Session()
        session.cookies.update(cookies)
        times = []
        for _ in range(per_thread):
            start = time.perf_counter()
            response = session.get(url, timeout=30, allow_redirects=False)
            times.append(time.perf_counter() - start)
            if response.status_code != status or expect not in response.text:
                raise RuntimeError(f"{url} answered {response.status_code}")
        session.close()
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = sorted(t for times in pool.map(run, range(threads)) for t in times)
    return latencies, time.perf_counter() - started


def measure_interleaved(pages, cookies, total, threads, rounds):
    """Both pages in alternating rounds, so a change in the machine's load hits both alike.
    Returns {page: (requests/s, p50 ms, p99 ms)}."""
    latencies = {name: [] for name in pages}
    elapsed = dict.fromkeys(pages, 0.0)
    for _ in range(rounds):
        for name, (url, expect) in pages.items():
            times, seconds = measure(url, cookies, max(threads, total // rounds), threads, expect)
            latencies[name] += times
            elapsed[name] += seconds
    return {name: summary(times, elapsed[name]) for name, times in latencies.items()}


def summary(times, elapsed):
    """(requests/s, p50 ms, p99 ms) of the latencies `times` measured over `elapsed` seconds."""
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return len(times) / elapsed, statistics.median(times) * 1000, p99 * 1000


def bench_parser(doc, requests, what):
    """The command line every page bench shares: the description, --threads and --requests (`what`
    they count, `requests` by default)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--requests", type=int, default=requests, help=f"{what} (default {requests})")
    return parser


def parse_args(parser, most):
    """The arguments, and how many requests to send: --requests, at least one a thread, at most `most`."""
    args = parser.parse_args()
    return args, max(args.threads, min(args.requests, most))


@contextmanager
def seeded_studio(prefix, sales=False, **env):
    """A var dir, the bench's environment (with `env`) set here too, and the seeded studio while the
    block runs: (env, var_dir, cookies of the owner's session, workspace path, database name)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as var_dir:
        env = {**bench_env(var_dir), **env}
        os.environ.update(env)
        session_key, cookie_name, path = seed(sales=sales)
        db = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
        yield env, var_dir, {cookie_name: session_key}, path, db


def main():
    parser = bench_parser(__doc__, 1000, "per page")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per page (default 10)")
    parser.add_argument(
        "--with-sales", action="store_true", help="the project also has a paid invoice and photo sales"
    )
    args, total = parse_args(parser, 20_000)

    with seeded_studio("workspace-bench-", sales=args.with_sales) as (env, var_dir, cookies, path, db):
        with served(env, var_dir, args.workers) as (base, _server):
            pages = {
                "minimal": (f"{base}/bench/minimal/", "ok "),
                "workspace": (f"{base}{path}", "PT-1002" if args.with_sales else "Bench gallery 9"),
            }
            results = warmed_and_measured(pages, cookies, total, args)

    extra = ", a paid invoice and photo sales" if args.with_sales else ""
    print(
        f"Workspace with 10 linked Pic-Time galleries{extra} vs a minimal page "
        f"({db}, gunicorn {args.workers} workers,"
    )
    print(
        f"{args.threads} client threads, {total} requests each in {args.rounds} alternating rounds, loopback)"
    )
    print(f"{'page':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (rps, p50, p99) in results.items():
        print(f"{name:<10} {rps:>8.1f} {p50:>8.2f} {p99:>8.2f}")
    ratio = results["workspace"][0] / results["minimal"][0]
    print(
        f"ratio workspace/minimal requests/s: {ratio:.2f} "
        f"(goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
