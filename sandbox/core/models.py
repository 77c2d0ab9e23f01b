import secrets

from django.db import models
from django.utils import timezone

ALL_SCOPES = ["account:read", "galleries:read", "galleries:write", "orders:read", "webhooks:write"]
EVENT_TYPES = ["gallery.created", "gallery.updated", "gallery.deleted", "order.created", "order.updated"]


def _new_id(prefix):
    return f"{prefix}_{secrets.token_hex(8)}"


def new_acc_id():
    return _new_id("acc")


def new_brand_id():
    return _new_id("br")


def new_preset_id():
    return _new_id("pr")


def new_gallery_id():
    return _new_id("gal")


def new_order_id():
    return _new_id("ord")


def new_webhook_id():
    return _new_id("wh")


def new_event_id():
    return _new_id("evt")


def new_grant_id():
    return _new_id("grt")


def new_snapshot_id():
    return _new_id("lst")


class Account(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_acc_id)
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    password = models.CharField(max_length=200)
    plan = models.CharField(max_length=40, default="pro")
    order_seq = models.IntegerField(default=1000)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class Brand(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_brand_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="brands")
    name = models.CharField(max_length=200)

    def __str__(self):
        return str(self.pk)


class Preset(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_preset_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(max_length=200)

    def __str__(self):
        return str(self.pk)


class Gallery(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_gallery_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="galleries")
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=100)
    status = models.CharField(max_length=10, default="offline")  # stored; expiry forces offline on read
    published_at = models.DateTimeField(null=True)
    image_count = models.IntegerField(default=0)
    event_date = models.DateField(null=True)
    client_name = models.CharField(max_length=200, null=True)
    client_email = models.CharField(max_length=254, null=True)
    brand_id = models.CharField(max_length=40, null=True)
    preset_id = models.CharField(max_length=40, null=True)
    external_ref = models.CharField(max_length=255, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True)

    def __str__(self):
        return str(self.pk)

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def effective_status(self):
        return "offline" if self.is_expired() else self.status


class Order(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_order_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders")
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=20)
    status = models.CharField(max_length=12, default="paid")
    currency = models.CharField(max_length=3, default="USD")
    items = models.JSONField(default=list)
    customer_name = models.CharField(max_length=200)
    customer_email = models.CharField(max_length=254)
    placed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return str(self.pk)


class OAuthClient(models.Model):
    client_id = models.CharField(primary_key=True, max_length=100)
    secret_hash = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    redirect_uris = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class Grant(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_grant_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="grants")
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="grants")
    scope = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True)
    revoked_reason = models.CharField(max_length=100, blank=True, default="")

    def __str__(self):
        return str(self.pk)


class AuthorizationCode(models.Model):
    code_hash = models.CharField(primary_key=True, max_length=64)
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE)
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=2000)
    scope = models.CharField(max_length=300)
    code_challenge = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)
    grant = models.ForeignKey(Grant, null=True, on_delete=models.SET_NULL)

    def __str__(self):
        return str(self.pk)


class AccessToken(models.Model):
    token_hash = models.CharField(primary_key=True, max_length=64)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="access_tokens")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class RefreshToken(models.Model):
    token_hash = models.CharField(primary_key=True, max_length=64)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True)
    # The pair issued on rotation, encrypted with a key derived from this (spent) refresh token,
    # so that only its holder can get it back within the grace period.
    successor_sealed = models.TextField(blank=True, default="")

    def __str__(self):
        return str(self.pk)


class WebhookSubscription(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_webhook_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="webhooks")
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["grant", "url"], name="uniq_webhook_url_per_grant"),)

    def __str__(self):
        return str(self.pk)


class WebhookEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_event_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    body = models.TextField()  # the exact JSON bytes sent
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class WebhookDelivery(models.Model):
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(WebhookSubscription, null=True, on_delete=models.SET_NULL)
    url = models.CharField(max_length=2000)
    status = models.CharField(max_length=12, default="pending")  # pending|delivered|failed|cancelled
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.IntegerField()
    t = models.BigIntegerField()
    signature = models.CharField(max_length=200)
    status_code = models.IntegerField(null=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.IntegerField(default=0)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)


class IdempotencyKey(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=12, default="running")  # running|done
    response_status = models.IntegerField(null=True)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["account", "key"], name="uniq_idempotency_key"),)

    def __str__(self):
        return str(self.pk)


class ListingSnapshot(models.Model):
    """The ordered ids of one paged listing, so that every row appears exactly once across its pages."""

    id = models.CharField(primary_key=True, max_length=40, default=new_snapshot_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    kind = models.CharField(max_length=12)
    ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.pk)
