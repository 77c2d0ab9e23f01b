"""The demo studio's Pic-Time history, for `manage.py seed_demo`: a Pic-Time account it used before,
with galleries linked to its projects in every state (online, expiring soon, offline, expired,
deleted) and photo sales over the last 14 months, and the session payments of those projects, so
the Galleries page is full at once.

The account is stored as disconnected (the CRM never calls it: its rows are what the last sync left).
Connecting the sandbox's demo account starts a live connection; as with any other account, the
earlier account's links then show as inactive.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.clients.models import Client
from crm.payments.models import Payment
from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.models import Project
from crm.projects.services import create_project
from integrations.models import CompanyIntegration
from pictime.models import Connection, GalleryLink, Order

ACCOUNT_ID = "acc_demo_history"
DAY = datetime.timedelta(days=1)

GALLERIES = [
    # gallery, project, client, email, project type, state, expires in (days), orders, session fee
    ("Avery & Jordan Wedding", "Avery & Jordan Wedding", "Avery Smith", "avery@example.com", "wedding",
     "online", 12, 34, "4200.00"),
    ("Chen Family Portraits", "Chen Family Session", "Lin Chen", "lin.chen@example.com", "family",
     "online", 4, 9, "450.00"),
    ("Miller Engagement", "Miller Engagement", "Sam Miller", "sam.miller@example.com", "engagement",
     "online", 26, 6, "600.00"),
    ("Brooks Senior Portraits", "Brooks Senior Session", "Jade Brooks", "jade.brooks@example.com", "portrait",
     "online", 95, 4, "350.00"),
    ("Patel Maternity", "Patel Maternity Session", "Priya Patel", "priya.patel@example.com", "portrait",
     "offline", None, 0, "400.00"),
    ("Garcia Newborn", "Garcia Newborn", "Maria Garcia", "maria.garcia@example.com", "newborn",
     "expired", -20, 14, "550.00"),
    ("Okafor Birthday Party", "Okafor 40th Birthday", "Chidi Okafor", "chidi.okafor@example.com", "event",
     "deleted", None, 3, "800.00"),
]  # fmt: skip

PRINTS = [
    ("Print 8x10", "25.00"),
    ("Canvas 16x20", "149.00"),
    ("Album 10x10", "289.00"),
    ("Digital set", "99.00"),
]


def seed(company, user) -> bool:
    """Adds the history once (False when the company already has a Pic-Time account)."""
    if Connection.objects.for_company(company).exists():
        return False
    rng = random.Random(2026)  # the same demo every time
    now = timezone.now()
    with transaction.atomic():
        integration = CompanyIntegration.objects.create(
            company=company,
            provider="pictime",
            status=CompanyIntegration.Status.DISCONNECTED,
        )
        connection = Connection.objects.create(
            company=company,
            integration=integration,
            account_id=ACCOUNT_ID,
            account_name="Golden Hour (earlier Pic-Time account)",
            connected_at=now - 400 * DAY,
            last_synced_at=now - DAY,
        )
        for n, (gallery, project_name, client_name, email, kind, state, expires, orders, fee) in enumerate(
            GALLERIES
        ):
            client, _ = Client.objects.get_or_create(
                company=company, email=email, defaults={"name": client_name}
            )
            project = create_project(
                company=company,
                client=client,
                name=project_name,
                type=kind,
                event_date=timezone.localdate() - (60 + 40 * n) * DAY,
            )
            Project.objects.filter(pk=project.pk).update(stage=Project.Stage.DELIVERED)
            shot = now - (50 + 45 * n) * DAY
            _session_payment(project, Decimal(fee), shot, user)
            link = GalleryLink.objects.create(
                company=company,
                project=project,
                connection=connection,
                account_id=ACCOUNT_ID,
                gallery_id=f"gal_demo_{n + 1:02d}",
                name=gallery,
                slug=gallery.lower().replace(" & ", "-").replace(" ", "-"),
                status=GalleryLink.Status.OFFLINE if state == "offline" else GalleryLink.Status.ONLINE,
                published_at=None if state == "offline" else shot + 14 * DAY,
                image_count=rng.randint(60, 480),
                event_date=project.event_date,
                expires_at=now + expires * DAY if expires is not None else None,
                deleted_at=now - 3 * DAY if state == "deleted" else None,
                client_name=client_name,
                client_email=email,
                last_synced_at=now - DAY,
                ready_email_status="" if state == "offline" else GalleryLink.ReadyEmail.SENT,
                ready_email_to="" if state == "offline" else email,
                ready_email_at=None if state == "offline" else shot + 14 * DAY,
            )
            _orders(link, orders, rng, now)
    return True


def _session_payment(project, amount, when, user):
    """The project's session fee, paid on `when`."""
    invoice = send_invoice(
        create_invoice(project=project, title="Session fee", schedule=[(amount, timezone.localdate(when))])
    )
    record_payment(
        installment=invoice.installments.get(),
        amount=amount,
        method=Payment.Method.CARD,
        recorded_by=user,
        paid_at=when,
    )


def _orders(link, count, rng, now):
    """`count` orders spread over the 14 months before now, one in 12 refunded, one in 20 cancelled."""
    rows = []
    for i in range(count):
        # The first two in the last few days, so this month has sales too.
        recent = 5 if i < 2 else 425
        placed = now - datetime.timedelta(minutes=rng.randint(60, recent * 24 * 60))
        name, price = rng.choice(PRINTS)
        quantity = rng.randint(1, 3)
        subtotal = Decimal(price) * quantity
        status = (
            Order.Status.REFUNDED
            if i % 12 == 5
            else Order.Status.CANCELLED
            if i % 20 == 13
            else Order.Status.PAID
        )
        rows.append(
            Order(
                company_id=link.company_id,
                order_id=f"ord_{link.gallery_id}_{i:03d}",
                gallery_id=link.gallery_id,
                number=f"PT-{link.pk:02d}{i:03d}",
                status=status,
                currency="USD",
                subtotal=subtotal,
                total=subtotal + Decimal("9.00"),
                items=[
                    {
                        "sku": name.upper().replace(" ", "-"),
                        "name": name,
                        "quantity": quantity,
                        "unit_price": price,
                    }
                ],
                customer_name=link.client_name if i % 3 else f"Guest {i}",
                placed_at=placed,
                remote_updated_at=placed,
            )
        )
    Order.objects.bulk_create(rows)
