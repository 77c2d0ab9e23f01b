"""Rows and Pic-Time state the tests build on, one helper for each (not a test module).

- rows made straight in the database, no Pic-Time involved (admin, API, panel tests): make_*;
- a gallery as the sandbox gave it, linked to a project: link_gallery;
- what the sandbox counts for an account: galleries_at_pictime, requests_at_pictime;
- webhook events delivered the way Pic-Time does: event, deliver, Pictime (a gallery's changes);
- a gallery request as the CRM sends it: SMITH_WEDDING.
"""

import datetime
import itertools
import json
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
from pictime.schemas import Gallery, GalleryCreate
from pictime.signatures import sign

_seq = itertools.count(1)


# ----------------------------------------------------------------------------- rows, no Pic-Time
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


def make_link(connection, project=None, n=None, **fields) -> GalleryLink:
    """A link to gallery number `n` (unique by default), as the last sync left it; `fields` override."""
    n = next(_seq) if n is None else n
    project = project or make_project(connection.company)
    values = {
        "company_id": project.company_id,
        "project": project,
        "connection": connection,
        "account_id": connection.account_id,
        "gallery_id": f"gal_{n}",
        "name": f"Gallery number {n}",
        "image_count": n,
        "public_url": f"https://pictime.example/g/{n}",
        "edit_url": f"https://pictime.example/dashboard/{n}",
        "last_synced_at": timezone.now(),
    }
    return GalleryLink.objects.create(**{**values, **fields})


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


# ----------------------------------------------------------------------------- with the sandbox
def publication_sent_to(sandbox, account_id: str, gallery_id: str) -> list[str]:
    """The webhook subscriptions the sandbox sent the gallery's publication to."""
    return [
        d["subscription_id"]
        for d in sandbox.webhook_deliveries(account_id)
        if d["event_type"] == "gallery.updated"
        and json.loads(d["body"])["data"]["id"] == gallery_id
        and json.loads(d["body"])["data"]["status"] == "online"
    ]


def link_gallery(connection, project, gallery: dict, origin=GalleryLink.Origin.LINKED) -> GalleryLink:
    """Links a gallery (as the sandbox gave it) to a project, as the panel's Connect gallery would."""
    link = GalleryLink(
        company_id=project.company_id,
        project=project,
        connection=connection,
        account_id=connection.account_id,
        gallery_id=gallery["id"],
        origin=origin,
    )
    link.apply_remote(Gallery.from_dict(gallery))
    link.save()
    return link


def galleries_at_pictime(sandbox, account) -> int:
    return sandbox.stats(account["id"])["galleries"]


def requests_at_pictime(sandbox, account) -> int:
    return sandbox.stats(account["id"])["api_requests"]


def event(kind: str, data: dict, account_id: str, event_id: str) -> dict:
    return {
        "id": event_id,
        "type": kind,
        "created_at": data["updated_at"],
        "account_id": account_id,
        "data": data,
    }


def deliver(http, connection, event: dict, *, secret=None, timestamp=None, token=None):
    """POSTs an event to our webhook endpoint the way Pic-Time does, signed with the secret."""
    body = json.dumps(event).encode()
    header = sign(body, secret if secret is not None else connection.webhook_secret, timestamp)
    return http.post(
        f"/integrations/pictime/webhooks/{token or connection.webhook_token}/",
        data=body,
        content_type="application/json",
        headers={"PicTime-Signature": header},
    )


SMITH_WEDDING = GalleryCreate(
    name="Smith Wedding",
    event_date=datetime.date(2026, 6, 20),
    client_name="Ann Smith",
    client_email="ann@example.com",
    external_ref="project-42",
)


class Pictime:
    """Sends the gallery's changes as Pic-Time's webhooks would, one second apart (the `pictime`
    fixture of tests/pictime/)."""

    def __init__(self, client, connection, gallery, account_id, capture):
        self.client, self.connection, self.gallery, self.account_id = client, connection, gallery, account_id
        self.capture = capture
        self.seconds = 0
        self.pending = []  # after-commit callbacks held back (the email task not run yet)

    def change(self, kind="gallery.updated", *, run_tasks=True, **changes):
        self.seconds += 1
        self.gallery = later(self.gallery, 1, **changes)
        body = event(kind, self.gallery, self.account_id, f"evt_{self.seconds}")
        with self.capture(execute=False) as callbacks:
            response = deliver(self.client, self.connection, body)
        assert response.status_code == 202
        # The webhook's task runs now; what it queues after commit (the email) runs when asked.
        for callback in callbacks:
            with self.capture(execute=False) as queued:
                callback()
            self.pending.extend(queued)
        if run_tasks:
            self.run_queued()
        return response

    def run_queued(self):
        pending, self.pending = self.pending, []
        for callback in pending:
            with self.capture(execute=True):
                callback()

    def publish(self, **kwargs):
        return self.change(status="online", published_at=self.gallery["updated_at"], image_count=12, **kwargs)

    def take_offline(self, **kwargs):
        return self.change(status="offline", **kwargs)


def later(gallery: dict, seconds: int, **changes) -> dict:
    """The gallery as Pic-Time would send it `seconds` after its last change."""
    when = datetime.datetime.fromisoformat(gallery["updated_at"].replace("Z", "+00:00"))
    when += datetime.timedelta(seconds=seconds)
    return {**gallery, **changes, "updated_at": when.isoformat().replace("+00:00", "Z")}


def order_for(link, total, placed_at, status=Order.Status.PAID, currency="USD", customer="Guest", **fields):
    """A stored Pic-Time order of the link's gallery (subtotal 90 % of the total); `fields` override."""
    n = next(_seq)
    total = Decimal(total)
    values = {
        "company_id": link.company_id,
        "order_id": f"ord_{n}",
        "gallery_id": link.gallery_id,
        "number": f"PT-{1000 + n}",
        "status": status,
        "currency": currency,
        "subtotal": (total * Decimal("0.9")).quantize(Decimal("0.01")),
        "total": total,
        "items": [],
        "customer_name": customer,
        "placed_at": placed_at,
        "remote_updated_at": placed_at,
    }
    return Order.objects.create(**{**values, **fields})
