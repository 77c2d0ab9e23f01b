"""Seeding shared by the benchmarks: the sandbox's galleries, a connected studio, linked galleries
and sent invoices. Call after django.setup(); the Django imports are inside the functions for that."""

import datetime
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def crm_in_process(database, sandbox, **settings):
    """Settings for a bench that runs the CRM in its own process against `sandbox`: a fresh database,
    migrated; webhooks are not measured (refused at once). Sets them on os.environ and returns them
    for the child processes the bench starts."""
    from bench.postgres import fresh_database

    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": fresh_database(database),
        "PICTIME_BASE_URL": sandbox.url,
        "PICTIME_CLIENT_ID": "bench-crm",
        "PICTIME_CLIENT_SECRET": "bench-crm-secret",
        "SITE_URL": "http://127.0.0.1:9",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        **settings,
    }
    os.environ.update(env)
    migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    return env


def sandbox_galleries(sandbox, account_id, count):
    """`count` galleries made at the sandbox (8 at a time), as the sandbox returns them."""
    print(f"creating {count} galleries at the sandbox ...", flush=True)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        galleries = list(
            pool.map(lambda n: sandbox.create_gallery(account_id, name=f"Gallery {n}"), range(count))
        )
    print(f"  made in {time.monotonic() - started:.1f} s", flush=True)
    return galleries


def connected_studio(sandbox, account_id, *, name, email, projects=100, webhooks=False):
    """A company signed up and connected to the sandbox account, with `projects` wedding projects
    of one client. `webhooks`: the bench receives Pic-Time's webhooks, so the subscription must have
    succeeded. Returns (company, connection, projects)."""
    from crm.clients.models import Client
    from crm.companies.services import sign_up
    from crm.projects.services import create_project
    from pictime.schemas import TokenSet
    from pictime.services.connection import connect_account

    owner = sign_up(company_name=name, name=f"{name} Owner", email=email, password="pw-123456789")
    company = owner.membership.company
    grant = sandbox.issue_grant(account_id, "bench-crm")
    result = connect_account(company=company, tokens=TokenSet.from_dict(grant))
    assert result.webhook_ok or not webhooks, "the sandbox refused the CRM's webhook subscription"
    connection = result.connection
    client = Client.objects.create(company=company, name="Client", email="client@bench.test")
    made = [
        create_project(company=company, client=client, name=f"Project {p}", type="wedding")
        for p in range(projects)
    ]
    return company, connection, made


def auto_create_studios(sandbox, *, projects: int, companies: int, name: str):
    """`companies` studios connected to sandbox accounts of their own (webhooks subscribed), Auto-create
    on, `projects` projects between them. Returns (connections, projects), the projects of the
    studios in turn (a bench's payments arrive from the studios in turn)."""
    import itertools

    from pictime.services.connection import set_auto_create

    connections, by_company = [], []
    for c in range(companies):
        slug = name.lower()
        account = sandbox.create_account(name=f"{name} Account {c}", email=f"acc{c}@{slug}.test")
        _, connection, made = connected_studio(
            sandbox,
            account["id"],
            name=f"{name} Studio {c}",
            email=f"owner{c}@{slug}.test",
            projects=len(range(c, projects, companies)),
            webhooks=True,
        )
        set_auto_create(connection, True)
        connections.append(connection)
        by_company.append(made)
    return connections, [p for turn in itertools.zip_longest(*by_company) for p in turn if p is not None]


def link_galleries(connection, account_id, projects, galleries):
    """Links every sandbox gallery to one of the projects in turn, in bulk (no request per link)."""
    from pictime.models import GalleryLink
    from pictime.schemas import Gallery

    links = []
    for n, data in enumerate(galleries):
        link = GalleryLink(
            company=connection.company,
            project=projects[n % len(projects)],
            connection=connection,
            account_id=account_id,
            gallery_id=data["id"],
        )
        link.apply_remote(Gallery.from_dict(data))
        links.append(link)
    GalleryLink.objects.bulk_create(links, batch_size=1000)
    return links


def sent_invoice(project):
    """A sent invoice of one 100.00 installment, ready to be paid."""
    from crm.payments.services import create_invoice, send_invoice

    schedule = [(Decimal("100.00"), datetime.date(2027, 1, 1))]
    return send_invoice(create_invoice(project=project, title="Collection", schedule=schedule))
