import os
from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from sandbox.core import services, tokens
from sandbox.core.models import Account, Gallery, OAuthClient

DEMO_EMAIL = "demo@pictime.test"
DEMO_PASSWORD = "demo1234"

GALLERIES = [
    # slug, name, client, event date offset (days), photos, state
    (
        "avery-jordan-wedding",
        "Avery & Jordan Wedding",
        ("Avery Smith", "avery@example.com"),
        -20,
        420,
        "online",
    ),
    ("chen-family-portraits", "Chen Family Portraits", ("Lin Chen", "lin.chen@example.com"), -5, 0, "new"),
    ("miller-engagement", "Miller Engagement", ("Sam Miller", "sam.miller@example.com"), -40, 85, "offline"),
    ("garcia-newborn", "Garcia Newborn", ("Maria Garcia", "maria.garcia@example.com"), -400, 60, "expired"),
]


class Command(BaseCommand):
    help = "Create the demo Pic-Time account, galleries, orders and the CRM's OAuth client (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        client_id = os.environ.get("SANDBOX_SEED_CLIENT_ID", "studio-crm")
        secret = os.environ.get("SANDBOX_SEED_CLIENT_SECRET", "studio-crm-dev-secret")
        redirect = os.environ.get(
            "SANDBOX_SEED_REDIRECT_URI", "http://127.0.0.1:8000/integrations/pictime/callback/"
        )
        client = OAuthClient.objects.filter(client_id=client_id).first()
        if (
            client is None
            or client.secret_hash != tokens.hash_secret(secret)
            or client.redirect_uris != [redirect]
        ):
            tokens.register_client(client_id, secret, [redirect], "Studio CRM")
            self.stdout.write(f"Registered OAuth client {client_id} -> {redirect}")

        account = Account.objects.filter(email=DEMO_EMAIL).first()
        if account is None:
            account = services.create_account("Lumen Photography (demo)", DEMO_EMAIL, DEMO_PASSWORD, "pro")
            self.stdout.write(f"Created demo account {account.id}")
        today = date.today()
        for slug, name, (cname, cemail), offset, photos, state in GALLERIES:
            if Gallery.objects.filter(account=account, slug=slug).exists():
                continue
            clean = services.validate_gallery_fields(
                account,
                {
                    "name": name,
                    "slug": slug,
                    "client": {"name": cname, "email": cemail},
                    "event_date": (today + timedelta(days=offset)).isoformat(),
                    "brand_id": account.brands.first().id,
                },
            )
            g = services.create_gallery(account, clean)
            if photos:
                g = services.add_photos(g, photos)
            if state in ("online", "offline", "expired"):
                g = services.publish(g)
            if state == "offline":
                g = services.take_offline(g)
            if state == "expired":
                g = services.set_expiry(g, timezone.now() - timedelta(days=30))
            if state == "online":
                services.place_order(g)
                refunded = services.place_order(
                    g,
                    items=[
                        {"sku": "ALB-10X10", "name": "10x10 album", "quantity": 1, "unit_price": "289.00"}
                    ],
                )
                services.set_order_status(refunded, "refunded")
            self.stdout.write(f"Created gallery {g.name} ({state})")
        self.stdout.write(f"Demo Pic-Time login: {DEMO_EMAIL} / {DEMO_PASSWORD} (account {account.id})")
        self.stdout.write(f"OAuth client: {client_id} / {secret}, redirect URI {redirect}")
