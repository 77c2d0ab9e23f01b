"""A studio with linked galleries in every state and photo sales over several months, as the
Galleries page tests (HTTP and Chromium) read it. Not a test module."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from crm.clients.models import Client
from crm.payments.models import Payment
from crm.payments.services import create_invoice
from crm.projects.models import Project
from pictime.models import GalleryLink, Order
from tests.factories import make_connection, make_link, order_for

DAY = datetime.timedelta(days=1)


def month_moment(now, months_ago):
    """A moment inside the month `months_ago` before now's (local) month, never after now."""
    local = timezone.localtime(now)
    year, month = local.year, local.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    start = timezone.make_aware(datetime.datetime(year, month, 1))
    return (
        min(start + datetime.timedelta(hours=1), start + (now - start) / 2)
        if months_ago == 0
        else start + 10 * DAY
    )


@dataclass
class Studio:
    links: dict
    now: datetime.datetime


def project_for(company, name, client_name):
    client = Client.objects.create(
        company=company, name=client_name, email=f"{client_name.split()[0].lower()}@example.com"
    )
    return Project.objects.create(company=company, client=client, name=name)


def build_studio(company, connection=None, now=None) -> Studio:
    """Galleries: Aurora (online, expires in 5 days), Birch (online, 20 days), Cedar (online, 60
    days), Dune (offline), Elm (expired), Fir (deleted), Grove (online, 2 days, sells in EUR).
    Net sales (USD unless said): Cedar 540 (500 of it 14 months ago), Birch 300, Aurora 175 (and a
    refunded 80), Elm 60, Grove 10 EUR; Cedar has a cancelled 20. Session payments: 1,000 this
    month, 2,500 three months ago."""
    now = now or timezone.now()
    connection = connection or make_connection(company)
    spec = {
        "Aurora Wedding": (
            "Aurora & Sam Wedding",
            "Aurora Hale",
            {"status": "online", "expires_at": now + 5 * DAY},
        ),
        "Birch Family": (
            "Birch Family Session",
            "Bea Birch",
            {"status": "online", "expires_at": now + 20 * DAY},
        ),
        "Cedar Engagement": (
            "Cedar Engagement",
            "Cy Cedar",
            {"status": "online", "expires_at": now + 60 * DAY},
        ),
        "Dune Portraits": ("Dune Headshots", "Dora Dune", {"status": "offline"}),
        "Elm Newborn": ("Elm Newborn", "Eli Elm", {"status": "online", "expires_at": now - 10 * DAY}),
        "Fir Gallery": ("Fir Party", "Fay Fir", {"status": "online", "deleted_at": now - 2 * DAY}),
        "Grove Mini-session": ("Grove Minis", "Gus Grove", {"status": "online", "expires_at": now + 2 * DAY}),
    }
    links = {}
    for name, (project_name, client_name, fields) in spec.items():
        project = project_for(company, project_name, client_name)
        links[name] = make_link(connection, project, name=name, **fields)
    this = month_moment(now, 0)
    order_for(links["Aurora Wedding"], "100.00", this)
    order_for(links["Aurora Wedding"], "50.00", this)
    order_for(links["Aurora Wedding"], "25.00", this)
    order_for(links["Aurora Wedding"], "80.00", this, status=Order.Status.REFUNDED)
    order_for(links["Birch Family"], "300.00", month_moment(now, 2))
    order_for(links["Cedar Engagement"], "40.00", month_moment(now, 5))
    order_for(links["Cedar Engagement"], "20.00", month_moment(now, 5), status=Order.Status.CANCELLED)
    order_for(links["Cedar Engagement"], "500.00", month_moment(now, 14))
    order_for(links["Elm Newborn"], "60.00", month_moment(now, 11))
    order_for(links["Grove Mini-session"], "10.00", this, currency="EUR")
    project = links["Aurora Wedding"].project
    invoice = create_invoice(project=project, title="Wedding", schedule=[(Decimal("3500.00"), now.date())])
    for number, (amount, moment) in enumerate((("1000.00", this), ("2500.00", month_moment(now, 3))), 1):
        Payment.objects.create(
            company=company,
            project=project,
            invoice=invoice,
            amount=Decimal(amount),
            method="card",
            paid_at=moment,
            number=number,
        )
    return Studio(links=links, now=now)


def other_studio(company):
    """Another company's gallery, expiring in 3 days, with a large sale this month."""
    now = timezone.now()
    link = make_link(
        make_connection(company), name="Secret Other Gallery", status="online", expires_at=now + 3 * DAY
    )
    order_for(link, "9999.00", month_moment(now, 0), customer="Other Customer")
    return link


__all__ = ["GalleryLink", "Studio", "build_studio", "other_studio"]
