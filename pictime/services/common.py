"""What every Pic-Time use case needs: the API client of a connection, the gallery create request,
and a gallery's state on a link."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from pictime import ratelimit
from pictime.client import PicTimeClient
from pictime.errors import NotConnected
from pictime.models import Connection, GalleryLink, Order
from pictime.schemas import Gallery, GalleryCreate
from pictime.services import ready_email
from pictime.tokens import ConnectionTokens, get_access_token

log = logging.getLogger(__name__)


def webhook_url(connection: Connection) -> str:
    base = settings.PICTIME_WEBHOOK_BASE_URL or settings.SITE_URL
    return base + reverse("pictime:webhook", args=[connection.webhook_token])


def require_connected(connection: Connection | None) -> Connection:
    """The connection, if it can call Pic-Time; NotConnected (saying connect or reconnect) if not."""
    if connection is None or not connection.is_connected:
        raise NotConnected.of(connection)
    return connection


def api_for(
    connection: Connection | None,
    *,
    new_access_token: str = "",
    background: bool = False,
    returning: bool = False,
) -> PicTimeClient:
    """The one way to get a connection's Pic-Time API client, with a valid access token (refreshed
    first when it is about to expire, and again when Pic-Time refuses it), held to the account's
    shared rate limit; NotConnected when the company has no usable grant.

    `new_access_token` only while connecting: the new grant's token reads the account before
    anything is stored (the connection may be unsaved then). `background`: for tasks, whose calls
    are paced one at a time (pictime.ratelimit); a person's click may use the burst. `returning`:
    a task back for the turn the limit gave it.
    """
    if new_access_token:
        return PicTimeClient(
            settings.PICTIME_BASE_URL,
            new_access_token,
            timeout=settings.PICTIME_TIMEOUT,
            company_id=connection.company_id,
        )
    connection = require_connected(connection)
    return PicTimeClient(
        settings.PICTIME_BASE_URL,
        get_access_token(connection.pk),
        timeout=settings.PICTIME_TIMEOUT,
        company_id=connection.company_id,
        tokens=ConnectionTokens(connection.pk),
        limiter=ratelimit.for_account(connection.account_id, background=background, returning=returning),
        max_inline_wait=settings.PICTIME_RATE_LIMIT_INLINE_WAIT_SECONDS if background else 0.0,
    )


def external_ref(project_id: int) -> str:
    """What a gallery made from the CRM carries to name its project (auto-create finds it by this)."""
    return f"crm-project-{project_id}"


def gallery_request(
    project,
    *,
    name: str,
    event_date=None,
    client_name: str = "",
    client_email: str = "",
    brand_id: str = "",
    preset_id: str = "",
    slug: str = "",
) -> GalleryCreate:
    """The create request of a project's gallery, for the panel's create and for auto-create alike.
    Pic-Time takes a client's email only with a client name."""
    return GalleryCreate(
        name=name[:200],
        event_date=event_date,
        client_name=client_name or None,
        client_email=(client_email or None) if client_name else None,
        brand_id=brand_id or None,
        preset_id=preset_id or None,
        slug=slug or None,
        external_ref=external_ref(project.pk),
    )


def apply_gallery(link: GalleryLink, gallery: Gallery, *, save=True) -> bool:
    """Copies Pic-Time's state of a gallery onto a link; ignores a state older than the one we have.

    Returns whether anything was applied (webhooks can arrive out of order).
    """
    if link.remote_updated_at and gallery.updated_at < link.remote_updated_at:
        return False
    # A linked gallery going online: the "gallery ready" email and Delivered follow (a new link
    # of a gallery that is already online is not a publication).
    published = (
        link.pk is not None
        and gallery.status == GalleryLink.Status.ONLINE
        and (link.status != GalleryLink.Status.ONLINE or link.is_deleted)
        and link.ready_email_status in ("", GalleryLink.ReadyEmail.FAILED)
    )
    link.name = gallery.name[:200]
    link.slug = gallery.slug or ""
    link.status = gallery.status
    link.published_at = gallery.published_at
    link.image_count = gallery.image_count
    refused = dict(gallery.refused_urls)
    for name in ("cover_url", "public_url", "edit_url"):
        if name in refused:  # not a safe link (pictime.schemas.UrlPolicy): keep the one we had
            log.warning(
                "pictime.gallery.url_refused",
                extra={"gallery": gallery.id, "field": name, "reason": refused[name]},
            )
        else:
            setattr(link, name, getattr(gallery, name) or "")
    link.event_date = gallery.event_date
    link.expires_at = gallery.expires_at
    link.client_name = gallery.client.name if gallery.client else ""
    link.client_email = (gallery.client.email or "") if gallery.client else ""
    link.remote_updated_at = gallery.updated_at
    link.deleted_at = None
    link.last_synced_at = timezone.now()
    link.last_sync_error = ""
    if save:
        link.save()
    if published:
        ready_email.gallery_published(link)
    return True


def new_link(project, connection: Connection, gallery: Gallery, *, origin, created_by=None) -> GalleryLink:
    """An unsaved link of the project to a gallery of the connection's account, with its figures."""
    link = GalleryLink(
        company_id=project.company_id,
        project=project,
        connection=connection,
        account_id=connection.account_id,
        gallery_id=gallery.id,
        origin=origin,
        created_by=created_by,
    )
    apply_gallery(link, gallery, save=False)
    return link


def mark_deleted(link: GalleryLink, when=None, *, save=True) -> None:
    """Pic-Time deleted the gallery: keep the link, shown as deleted, rather than drop it silently."""
    link.deleted_at = when or timezone.now()
    link.status = GalleryLink.Status.OFFLINE
    link.last_synced_at = timezone.now()
    if save:
        link.save(update_fields=["deleted_at", "status", "last_synced_at"])


def upsert_order(company_id: int, order) -> tuple[Order, bool]:
    """Stores a Pic-Time order once (unique per company and Pic-Time id); a newer state replaces an
    older one, an older state is ignored, so a refund is never counted twice."""
    values = {
        "gallery_id": order.gallery_id,
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "total": order.total,
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price": str(i.unit_price)}
            for i in order.items
        ],
        "customer_name": order.customer.name if order.customer else "",
        "customer_email": (order.customer.email or "") if order.customer else "",
        "placed_at": order.placed_at,
        "remote_updated_at": order.updated_at,
    }
    for _ in range(2):  # a concurrent insert of the same order wins the race; then we update it
        existing = Order.objects.filter(company_id=company_id, order_id=order.id).first()
        if existing:
            if existing.remote_updated_at >= order.updated_at:  # older, or the same state again
                return existing, False
            Order.objects.filter(pk=existing.pk).update(**values)
            existing.refresh_from_db()
            return existing, True
        try:
            with transaction.atomic():
                return Order.objects.create(company_id=company_id, order_id=order.id, **values), True
        except IntegrityError:
            continue
    raise RuntimeError(f"could not store Pic-Time order {order.id}")
