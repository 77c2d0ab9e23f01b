"""Pic-Time's webhooks: signed, fresh, stored, processed once, in order of Pic-Time's updated_at.

What we do with the events Pic-Time sends: the connection is made in the database and Pic-Time's API
is mocked with nothing to answer, so a request to it fails a test (real deliveries from the sandbox:
test_webhook_deliveries.py)."""

import datetime
import time

import pytest

from pictime.models import GalleryLink, Order, WebhookDelivery, WebhookEvent
from tests.factories import event, later
from tests.pictime.offline import offline_account, offline_connection, offline_gallery  # noqa: F401
from tests.pictime_client.conftest import gallery_dict, order_dict


@pytest.mark.django_db
def test_a_signed_gallery_update_refreshes_the_link(send, client, connection, link, gallery, pictime_account):
    data = later(
        gallery,
        5,
        status="online",
        published_at=gallery["updated_at"],
        image_count=42,
        cover_url="https://pictime.example/covers/bella.jpg",
        expires_at="2027-12-31T00:00:00Z",
    )
    response = send(event("gallery.updated", data, pictime_account["id"], "evt_1"))

    assert response.status_code == 202
    link.refresh_from_db()
    assert link.status == GalleryLink.Status.ONLINE and link.is_online
    assert link.image_count == 42
    assert link.cover_url == "https://pictime.example/covers/bella.jpg"
    assert link.expires_at.year == 2027
    assert link.can_view
    assert WebhookEvent.objects.get(event_id="evt_1").status == WebhookEvent.Status.PROCESSED
    assert WebhookDelivery.objects.get(event_id="evt_1").outcome == WebhookDelivery.Outcome.ACCEPTED


@pytest.mark.django_db
def test_it_rejects_a_bad_signature(send, client, connection, link, gallery, pictime_account):
    data = later(gallery, 5, image_count=42)
    response = send(event("gallery.updated", data, pictime_account["id"], "evt_bad"), secret="not-it")
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.image_count == 0
    assert not WebhookEvent.objects.exists()
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.BAD_SIGNATURE


@pytest.mark.django_db
def test_it_rejects_a_tampered_body(client, connection, link, gallery, pictime_account):
    import json

    from pictime.signatures import sign

    signed = json.dumps(
        event("gallery.updated", later(gallery, 5, image_count=1), pictime_account["id"], "e")
    )
    tampered = signed.replace('"image_count": 1', '"image_count": 999')
    response = client.post(
        f"/integrations/pictime/webhooks/{connection.webhook_token}/",
        data=tampered,
        content_type="application/json",
        headers={"PicTime-Signature": sign(signed, connection.webhook_secret)},
    )
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.image_count == 0


@pytest.mark.django_db
def test_it_rejects_a_stale_timestamp(send, client, connection, link, gallery, pictime_account):
    data = later(gallery, 5, image_count=42)
    response = send(
        event("gallery.updated", data, pictime_account["id"], "evt_old"),
        timestamp=int(time.time()) - 301,
    )
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.image_count == 0
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.STALE


@pytest.mark.django_db
def test_it_rejects_an_unknown_endpoint_and_another_accounts_event(
    send, client, connection, link, gallery, pictime_account
):
    data = later(gallery, 5, image_count=42)
    assert send(event("gallery.updated", data, "acc_other", "e1")).status_code == 404
    response = send(event("gallery.updated", data, pictime_account["id"], "e2"), token="nope")
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.image_count == 0


@pytest.mark.django_db
def test_a_replayed_event_is_processed_once(send, client, connection, link, gallery, pictime_account):
    order = order_dict(gallery_id=gallery["id"])
    body = event("order.created", order, pictime_account["id"], "evt_order_1")
    assert send(body).status_code == 202
    assert send(body).status_code == 200  # a fresh t, the same event

    assert Order.objects.count() == 1
    assert WebhookEvent.objects.count() == 1
    outcomes = sorted(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes == [WebhookDelivery.Outcome.ACCEPTED, WebhookDelivery.Outcome.DUPLICATE]


@pytest.mark.django_db
def test_an_older_state_arriving_late_is_ignored(send, client, connection, link, gallery, pictime_account):
    newer = later(gallery, 20, image_count=30)
    older = later(gallery, 10, image_count=10)
    send(event("gallery.updated", newer, pictime_account["id"], "evt_new"))
    send(event("gallery.updated", older, pictime_account["id"], "evt_old"))

    link.refresh_from_db()
    assert link.image_count == 30
    assert WebhookEvent.objects.get(event_id="evt_old").status == WebhookEvent.Status.IGNORED


@pytest.mark.django_db
def test_a_deleted_gallery_is_shown_as_deleted_and_a_late_update_does_not_revive_it(
    send, client, connection, link, gallery, pictime_account
):
    last = later(gallery, 10, image_count=5)
    send(event("gallery.deleted", last, pictime_account["id"], "evt_del"))
    send(event("gallery.updated", last, pictime_account["id"], "evt_upd_late"))

    link.refresh_from_db()
    assert link.is_deleted
    assert not link.is_online
    assert GalleryLink.objects.filter(pk=link.pk).exists()  # kept, not dropped


@pytest.mark.django_db
def test_orders_of_unlinked_galleries_are_not_stored(send, client, connection, link, pictime_account):
    other = gallery_dict(id="gal_someone_else", name="Someone else's gallery")
    order = order_dict(gallery_id=other["id"])
    send(event("order.created", order, pictime_account["id"], "evt_o"))
    assert not Order.objects.exists()
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


@pytest.mark.django_db
def test_a_malformed_body_is_rejected(client, connection):
    from pictime.signatures import sign

    response = client.post(
        f"/integrations/pictime/webhooks/{connection.webhook_token}/",
        data=b"{not json",
        content_type="application/json",
        headers={"PicTime-Signature": sign(b"{not json", connection.webhook_secret)},
    )
    assert response.status_code == 400
    assert WebhookDelivery.objects.get().outcome == WebhookDelivery.Outcome.MALFORMED


@pytest.mark.django_db
def test_an_event_stored_while_the_broker_was_down_is_queued_again_by_the_sweep(
    send, client, connection, link, gallery, pictime_account, broker_down, settings
):
    from pictime import tasks

    data = later(gallery, 5, image_count=12)
    response = send(event("gallery.updated", data, pictime_account["id"], "evt_q"))
    assert response.status_code == 202  # stored: Pic-Time need not retry
    broker_down.back()
    link.refresh_from_db()
    assert link.image_count == 0

    assert tasks.run_pending_work()["webhooks"] == 0  # just stored: its message may be on its way
    WebhookEvent.objects.update(
        received_at=WebhookEvent.objects.get().received_at
        - datetime.timedelta(seconds=settings.PICTIME_PENDING_WORK_LEASE_SECONDS + 1)
    )
    assert tasks.run_pending_work()["webhooks"] == 1  # the beat's sweep, every minute
    link.refresh_from_db()
    assert link.image_count == 12
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert tasks.run_pending_work()["webhooks"] == 0  # processed once: nothing left to send


@pytest.mark.django_db
def test_a_delivery_with_redis_down_is_stored_and_answered_202(
    send, connection, link, gallery, pictime_account, broker_down, settings
):
    """Redis down: the broker and the cache (the "processing queued" key) at once. The event is
    stored and Pic-Time gets its 2xx; the sweep processes it later."""
    from pictime import tasks

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": broker_down.UNREACHABLE,
        }
    }
    response = send(
        event("gallery.updated", later(gallery, 5, image_count=12), pictime_account["id"], "evt_r")
    )
    assert response.status_code == 202
    assert WebhookEvent.objects.get(event_id="evt_r").status == WebhookEvent.Status.QUEUED

    broker_down.back()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    WebhookEvent.objects.update(
        received_at=WebhookEvent.objects.get().received_at
        - datetime.timedelta(seconds=settings.PICTIME_PENDING_WORK_LEASE_SECONDS + 1)
    )
    assert tasks.run_pending_work()["webhooks"] == 1
    link.refresh_from_db()
    assert link.image_count == 12
