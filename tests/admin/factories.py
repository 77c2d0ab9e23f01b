"""Pic-Time rows made straight in the database (no sandbox), for the admin and API tests."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from crm.clients.models import Client
from crm.companies.models import Company
from crm.projects.models import Project
from integrations.models import CompanyIntegration
from pictime.models import (
    AutoCreateJob,
    Connection,
    GalleryLink,
    Order,
    SyncRun,
    WebhookDelivery,
    WebhookEvent,
)

_seq = itertools.count(1)


def make_connection(company=None, status=CompanyIntegration.Status.CONNECTED):
    n = next(_seq)
    company = company or Company.objects.create(name=f"Studio {n}")
    integration = CompanyIntegration.objects.create(company=company, provider="pictime", status=status)
    return Connection.objects.create(
        company=company,
        integration=integration,
        account_id=f"acc_{n}",
        account_name=f"Account {n}",
        access_token=f"at-secret-{n}",
        refresh_token=f"rt-secret-{n}",
        webhook_secret=f"whsec-{n}",
        access_token_expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def make_project(company):
    n = next(_seq)
    client = Client.objects.create(company=company, name=f"Client {n}", email=f"client{n}@example.com")
    return Project.objects.create(company=company, client=client, name=f"Wedding {n}")


def make_link(connection, project=None):
    n = next(_seq)
    project = project or make_project(connection.company)
    return GalleryLink.objects.create(
        company=connection.company,
        project=project,
        connection=connection,
        account_id=connection.account_id,
        gallery_id=f"gal_{n}",
        name=f"Gallery {n}",
    )


def make_job(connection, status=AutoCreateJob.Status.FAILED):
    project = make_project(connection.company)
    return AutoCreateJob.objects.create(
        company=connection.company,
        project=project,
        payment_id=next(_seq),
        status=status,
        idempotency_key=f"autocreate-{project.pk}",
        attempts=8,
        last_error="Pic-Time is down",
    )


def make_sync_run(connection):
    return SyncRun.objects.create(
        company=connection.company,
        connection=connection,
        project=make_project(connection.company),
        trigger=SyncRun.Trigger.SCHEDULE,
        status=SyncRun.Status.FAILED,
        error="boom",
    )


def make_delivery(connection):
    return WebhookDelivery.objects.create(
        connection=connection, event_id=f"evt_{next(_seq)}", event_type="gallery.updated", outcome="accepted"
    )


def make_event(connection):
    return WebhookEvent.objects.create(
        connection=connection, event_id=f"evt_{next(_seq)}", type="gallery.updated", payload={}
    )


def make_order(connection):
    n = next(_seq)
    now = timezone.now()
    return Order.objects.create(
        company=connection.company,
        order_id=f"ord_{n}",
        gallery_id=f"gal_{n}",
        number=f"{1000 + n}",
        status=Order.Status.PAID,
        currency="USD",
        subtotal=Decimal("10.00"),
        total=Decimal("12.00"),
        items=[],
        placed_at=now,
        remote_updated_at=now,
    )
