"""Domain operations shared by the API, the people pages, the admin endpoints and the seed command.

Every change goes through here so that each one emits its webhook event.
"""

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from . import webhooks
from .middleware import base_url
from .models import Account, Brand, Gallery, Order, Preset

SLUG_RE = re.compile(r"^[a-z0-9-]{3,100}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class DomainError(Exception):
    def __init__(self, status, code, message, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def ts(value):
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def money(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


# ---------------------------------------------------------------- serialisation


def account_json(account):
    return {
        "id": account.id,
        "name": account.name,
        "email": account.email,
        "plan": account.plan,
        "brands": [{"id": b.id, "name": b.name} for b in account.brands.order_by("name", "id")],
        "presets": [{"id": p.id, "name": p.name} for p in account.presets.order_by("name", "id")],
    }


def gallery_json(g):
    base = base_url()
    client = None
    if g.client_name is not None:
        client = {"name": g.client_name, "email": g.client_email}
    return {
        "id": g.id,
        "name": g.name,
        "slug": g.slug,
        "status": g.effective_status,
        "published_at": ts(g.published_at),
        "image_count": g.image_count,
        "cover_url": f"{base}/img/{g.id}/1.png" if g.image_count > 0 else None,
        "public_url": f"{base}/g/{g.account_id}/{g.slug}",
        "edit_url": f"{base}/dashboard/galleries/{g.id}/",
        "event_date": g.event_date.isoformat() if g.event_date else None,
        "client": client,
        "brand_id": g.brand_id,
        "preset_id": g.preset_id,
        "external_ref": g.external_ref,
        "created_at": ts(g.created_at),
        "updated_at": ts(g.updated_at),
        "expires_at": ts(g.expires_at),
    }


def order_json(o):
    items = [
        {
            "sku": i["sku"],
            "name": i["name"],
            "quantity": int(i["quantity"]),
            "unit_price": money(i["unit_price"]),
        }
        for i in o.items
    ]
    subtotal = sum((Decimal(i["unit_price"]) * i["quantity"] for i in items), Decimal(0))
    return {
        "id": o.id,
        "number": o.number,
        "gallery_id": o.gallery_id,
        "status": o.status,
        "currency": o.currency,
        "subtotal": money(subtotal),
        "total": money(subtotal),
        "items": items,
        "customer": {"name": o.customer_name, "email": o.customer_email},
        "placed_at": ts(o.placed_at),
        "updated_at": ts(o.updated_at),
    }


# ---------------------------------------------------------------- accounts


@transaction.atomic
def create_account(name, email, password, plan="pro"):
    errors = {}
    if not name or not isinstance(name, str):
        errors["name"] = ["This field is required."]
    if not isinstance(email, str) or not EMAIL_RE.match(email or ""):
        errors["email"] = ["Enter a valid email address."]
    if not password or not isinstance(password, str) or len(password) < 6:
        errors["password"] = ["Use at least 6 characters."]
    if errors:
        raise DomainError(422, "validation_error", "Invalid account.", errors)
    email = email.strip().lower()
    if Account.objects.filter(email=email).exists():
        raise DomainError(
            409, "conflict", "An account with this email already exists.", {"email": ["Taken."]}
        )
    account = Account.objects.create(
        name=name, email=email, password=make_password(password), plan=plan or "pro"
    )
    Brand.objects.create(account=account, name=name)
    Preset.objects.create(account=account, name="Standard")
    Preset.objects.create(account=account, name="Wedding collection")
    return account


# ---------------------------------------------------------------- galleries


def slugify(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:90].strip("-")
    if len(text) < 3:
        text = (text + "-gallery").strip("-")
    return text


def _slug_taken(account, slug, exclude_id=None):
    qs = Gallery.objects.filter(account=account, slug=slug, deleted_at__isnull=True)
    if exclude_id:
        qs = qs.exclude(id=exclude_id)
    return qs.exists()


def _unique_slug(account, base):
    slug, n = base, 1
    while _slug_taken(account, slug):
        n += 1
        slug = f"{base[:95]}-{n}"
    return slug


def parse_date(value):
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise ValueError
    return date.fromisoformat(value)


def parse_timestamp(value):
    """ISO 8601 with a zone; a zone-less value raises ValueError."""
    if not isinstance(value, str) or not value:
        raise ValueError("empty")
    value = value.strip()
    # A '+' sent unencoded in a query string arrives as a space.
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no zone")
    return parsed.astimezone(UTC)


def validate_gallery_fields(account, body):
    """Validate a POST /galleries body; return the cleaned fields or raise a 422."""
    errors = {}
    clean = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["This field is required (1-200 characters)."]
    elif len(name) > 200:
        errors["name"] = ["Ensure this field has at most 200 characters."]
    else:
        clean["name"] = name

    if body.get("event_date") is not None:
        try:
            clean["event_date"] = parse_date(body["event_date"])
        except (ValueError, TypeError):
            errors["event_date"] = ["Use the format YYYY-MM-DD."]

    client = body.get("client")
    if client is not None:
        if not isinstance(client, dict):
            errors["client"] = ["Must be an object with name and email."]
        else:
            cname = client.get("name")
            if not isinstance(cname, str) or not cname.strip():
                errors["client.name"] = ["This field is required."]
            elif len(cname) > 200:
                errors["client.name"] = ["Ensure this field has at most 200 characters."]
            cemail = client.get("email")
            if cemail is not None and (not isinstance(cemail, str) or not EMAIL_RE.match(cemail)):
                errors["client.email"] = ["Enter a valid email address."]
            clean["client_name"] = cname
            clean["client_email"] = cemail

    for field, model in (("brand_id", Brand), ("preset_id", Preset)):
        value = body.get(field)
        if value is not None:
            if not isinstance(value, str) or not model.objects.filter(account=account, id=value).exists():
                errors[field] = [f"Unknown {field[:-3]} in this account."]
            else:
                clean[field] = value

    slug = body.get("slug")
    if slug is not None:
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            errors["slug"] = ["Use 3-100 characters among a-z, 0-9 and '-'."]
        elif _slug_taken(account, slug):
            errors["slug"] = ["This slug is already taken in the account."]
        else:
            clean["slug"] = slug

    ref = body.get("external_ref")
    if ref is not None:
        if not isinstance(ref, str) or len(ref) > 255:
            errors["external_ref"] = ["Must be a string of at most 255 characters."]
        else:
            clean["external_ref"] = ref

    if errors:
        raise DomainError(422, "validation_error", "The request body is invalid.", errors)
    return clean


@transaction.atomic
def create_gallery(account, clean, *, status="offline", image_count=0, expires_at=None):
    now = timezone.now()
    slug = clean.pop("slug", None)
    if slug is None:
        slug = _unique_slug(account, slugify(clean["name"]))
    elif _slug_taken(account, slug):
        raise DomainError(
            422,
            "validation_error",
            "The request body is invalid.",
            {"slug": ["This slug is already taken in the account."]},
        )
    g = Gallery.objects.create(
        account=account,
        slug=slug,
        status=status,
        image_count=image_count,
        expires_at=expires_at,
        published_at=now if status == "online" else None,
        created_at=now,
        updated_at=now,
        **clean,
    )
    webhooks.emit(account, "gallery.created", gallery_json(g))
    return g


def _touch(g):
    g.updated_at = max(timezone.now(), g.updated_at)
    g.save()
    webhooks.emit(g.account, "gallery.updated", gallery_json(g))
    return g


@transaction.atomic
def publish(g):
    g = Gallery.objects.select_for_update().get(pk=g.pk)
    if g.is_expired():
        raise DomainError(409, "conflict", "This gallery has expired: set a later expiry date first.")
    g.status = "online"
    if g.published_at is None:
        g.published_at = timezone.now()
    return _touch(g)


@transaction.atomic
def take_offline(g):
    g = Gallery.objects.get(pk=g.pk)
    g.status = "offline"
    return _touch(g)


@transaction.atomic
def add_photos(g, count):
    if not isinstance(count, int) or isinstance(count, bool) or count < 1 or count > 10000:
        raise DomainError(
            422, "validation_error", "Invalid photo count.", {"count": ["Use a whole number 1-10000."]}
        )
    g = Gallery.objects.get(pk=g.pk)
    g.image_count += count
    return _touch(g)


@transaction.atomic
def set_expiry(g, expires_at):
    g = Gallery.objects.get(pk=g.pk)
    g.expires_at = expires_at
    if g.is_expired():
        g.status = "offline"
    return _touch(g)


@transaction.atomic
def delete_gallery(g):
    g = Gallery.objects.get(pk=g.pk)
    g.deleted_at = timezone.now()
    g.save()
    webhooks.emit(g.account, "gallery.deleted", gallery_json(g))
    return g


# ---------------------------------------------------------------- orders

DEFAULT_ITEMS = [
    {"sku": "PRT-8X10", "name": "8x10 print", "quantity": 2, "unit_price": "12.50"},
    {"sku": "DIG-ALL", "name": "All digital downloads", "quantity": 1, "unit_price": "49.00"},
]


@transaction.atomic
def place_order(g, items=None, customer=None, currency="USD"):
    errors = {}
    items = items if items is not None else DEFAULT_ITEMS
    clean_items = []
    if not isinstance(items, list) or not items:
        errors["items"] = ["Give a non-empty list of items."]
    else:
        for n, item in enumerate(items):
            try:
                clean_items.append(
                    {
                        "sku": str(item["sku"]),
                        "name": str(item["name"]),
                        "quantity": int(item.get("quantity", 1)),
                        "unit_price": money(item["unit_price"]),
                    }
                )
            except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
                errors[f"items.{n}"] = ["Each item needs sku, name, quantity and unit_price."]
    if customer is None:
        customer = {
            "name": g.client_name or "Test Customer",
            "email": g.client_email or "customer@example.com",
        }
    if (
        not isinstance(customer, dict)
        or not customer.get("name")
        or not EMAIL_RE.match(str(customer.get("email", "")))
    ):
        errors["customer"] = ["Give a customer with a name and a valid email."]
    if errors:
        raise DomainError(422, "validation_error", "Invalid order.", errors)
    account = Account.objects.get(pk=g.account_id)
    account.order_seq += 1
    account.save(update_fields=["order_seq"])
    now = timezone.now()
    o = Order.objects.create(
        account=account,
        gallery=g,
        number=f"PT-{account.order_seq}",
        currency=currency,
        items=clean_items,
        customer_name=customer["name"],
        customer_email=customer["email"],
        placed_at=now,
        updated_at=now,
    )
    webhooks.emit(account, "order.created", order_json(o))
    return o


@transaction.atomic
def set_order_status(o, status):
    o = Order.objects.get(pk=o.pk)
    if o.status != "paid":
        raise DomainError(409, "conflict", f"This order is already {o.status}.")
    o.status = status
    o.updated_at = timezone.now()
    o.save()
    webhooks.emit(o.account, "order.updated", order_json(o))
    return o
