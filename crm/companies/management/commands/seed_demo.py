"""A demo studio to click through: `python manage.py seed_demo`. Running it twice changes nothing."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm.clients.models import Client
from crm.companies.models import Company
from crm.companies.services import add_team_member, sign_up
from crm.payments.models import Payment
from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.models import Project
from crm.projects.services import create_project
from integrations.registry import providers

DEMO_EMAIL = "photographer@demo.studio"
DEMO_PASSWORD = "demo-pass-2026"
TEAMMATE_EMAIL = "assistant@demo.studio"

PROJECTS = [
    # name, client, email, type, stage, days from today, schedule (amount, days), paid installments
    (
        "Emma & Liam Wedding",
        "Emma Carter",
        "emma.carter@example.com",
        "wedding",
        "booked",
        120,
        [("1500.00", -10), ("3500.00", 90)],
        0,
    ),
    (
        "Noah Family Session",
        "Olivia Noah",
        "olivia.noah@example.com",
        "family",
        "editing",
        -12,
        [("450.00", -30)],
        1,
    ),
    ("Ava Headshots", "Ava Brooks", "ava.brooks@example.com", "portrait", "inquiry", 30, [("300.00", 20)], 0),
    (
        "Sophia & James Engagement",
        "Sophia Reed",
        "sophia.reed@example.com",
        "engagement",
        "delivered",
        -40,
        [("600.00", -60)],
        1,
    ),
]


class Command(BaseCommand):
    help = "Creates a demo photography studio with a photographer login, clients, projects and invoices."

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(username=DEMO_EMAIL).first()
            if user is None:
                user = sign_up(
                    company_name="Golden Hour Studio",
                    name="Grace Hopper",
                    email=DEMO_EMAIL,
                    password=DEMO_PASSWORD,
                )
            company = Company.objects.get(memberships__user=user)
            if not User.objects.filter(username=TEAMMATE_EMAIL).exists():
                add_team_member(
                    company=company, name="Alan Assistant", email=TEAMMATE_EMAIL, password=DEMO_PASSWORD
                )
            today = timezone.localdate()
            for name, client_name, email, type_, stage, days, schedule, paid in PROJECTS:
                if Project.objects.for_company(company).filter(name=name).exists():
                    continue
                client, _ = Client.objects.get_or_create(
                    company=company, email=email, defaults={"name": client_name}
                )
                project = create_project(
                    company=company,
                    client=client,
                    name=name,
                    type=type_,
                    event_date=today + datetime.timedelta(days=days),
                )
                Project.objects.filter(pk=project.pk).update(stage=stage)
                invoice = create_invoice(
                    project=project,
                    title=f"{project.get_type_display()} collection",
                    schedule=[(Decimal(a), today + datetime.timedelta(days=d)) for a, d in schedule],
                )
                send_invoice(invoice)
                for installment in invoice.installments.all()[:paid]:
                    record_payment(
                        installment=installment,
                        amount=installment.amount,
                        method=Payment.Method.BANK_TRANSFER,
                        reference="demo",
                        recorded_by=user,
                    )
            added = [line for line in (p.seed_demo(company, user) for p in providers()) if line]
        self.stdout.write(f"Demo studio: {company.name}")
        self.stdout.write(f"  photographer login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  team member login:  {TEAMMATE_EMAIL} / {DEMO_PASSWORD}")
        for line in added:
            self.stdout.write(line)
