"""What comes from Pic-Time is checked before it is stored or becomes a link: signed but malformed
webhooks are refused or marked failed with their reason (never a 500, never retried for ever), the
webhook log is bounded, and unsafe links are not applied."""

import datetime
import json
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone

from pictime import tasks
from pictime.models import WebhookDelivery, WebhookEvent
from pictime.services import webhooks
from pictime.signatures import sign
from tests.factories import event, later
from tests.pictime.offline import offline_account, offline_connection, offline_gallery  # noqa: F401

pytestmark = pytest.mark.django_db


def post_signed(client, connection, raw: bytes):
    return client.post(
        f"/integrations/pictime/webhooks/{connection.webhook_token}/",
        data=raw,
        content_type="application/json",
        headers={"PicTime-Signature": sign(raw, connection.webhook_secret)},
    )


def state(link):
    link.refresh_from_db()
    return (link.image_count, link.public_url, link.edit_url, link.cover_url, link.status)


# Item 7: signed but malformed


def test_a_deeply_nested_signed_body_is_refused_not_a_500(client, connection, link, pictime_account):
    before = state(link)
    deep = "[" * 100_000 + "]" * 100_000
    raw = (
        '{"id": "evt_deep", "type": "gallery.updated", "created_at": "2026-11-30T00:00:00Z", '
        f'"account_id": "{pictime_account["id"]}", "data": {{"x": {deep}}}}}'
    ).encode()
    response = post_signed(client, connection, raw)
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == WebhookDelivery.Outcome.MALFORMED
    assert "not valid JSON" in delivery.body and len(delivery.body) < 400
    assert state(link) == before


def test_nesting_the_parser_can_read_but_no_event_has_is_refused(
    client, connection, link, gallery, pictime_account
):
    nested = {"a": None}
    for _ in range(50):
        nested = {"a": nested}
    data = later(gallery, 5, image_count=7, extra=nested)
    response = post_signed(
        client, connection, json.dumps(event("gallery.updated", data, pictime_account["id"], "e")).encode()
    )
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0
    assert "nested deeper" in WebhookDelivery.objects.get().body


@pytest.mark.parametrize(
    "changes, why",
    [
        ({"image_count": 10**30}, "data.image_count should be an integer <= 2147483647"),
        ({"id": "g" * 500}, "data.id should be at most 100 characters"),
        ({"name": "a\u0000b"}, "Webhook body holds a NUL character"),
    ],
)
def test_a_signed_event_with_values_we_cannot_store_is_refused(
    send, connection, link, gallery, pictime_account, changes, why
):
    before = state(link)
    response = send(event("gallery.updated", later(gallery, 5, **changes), pictime_account["id"], "evt_big"))
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0
    assert why in WebhookDelivery.objects.get().body
    assert state(link) == before


def test_an_over_long_event_id_is_refused(send, connection, link, gallery, pictime_account):
    response = send(event("gallery.updated", later(gallery, 5), pictime_account["id"], "e" * 500))
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_a_stored_event_that_cannot_be_applied_is_failed_with_its_reason_and_not_retried(
    connection, link, gallery, pictime_account
):
    # As an older version stored it: a count no column can hold.
    payload = event(
        "gallery.updated", later(gallery, 5, image_count=10**30), pictime_account["id"], "evt_old"
    )
    stored = WebhookEvent.objects.create(
        event_id="evt_old", connection=connection, type="gallery.updated", payload=payload
    )
    before = state(link)
    assert webhooks.process(stored.pk).status == WebhookEvent.Status.FAILED
    stored.refresh_from_db()
    assert "image_count" in stored.error
    assert state(link) == before
    WebhookEvent.objects.filter(pk=stored.pk).update(received_at=timezone.now() - datetime.timedelta(hours=2))
    assert webhooks.requeue_stale_events() == []  # failed: never queued again


def test_an_event_that_stays_queued_for_a_day_is_given_up(connection, gallery, pictime_account):
    payload = event("gallery.updated", gallery, pictime_account["id"], "evt_stuck")
    stuck = WebhookEvent.objects.create(
        event_id="evt_stuck", connection=connection, type="gallery.updated", payload=payload
    )
    WebhookEvent.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - datetime.timedelta(days=2))
    assert webhooks.requeue_stale_events() == []
    stuck.refresh_from_db()
    assert stuck.status == WebhookEvent.Status.FAILED
    assert "given up" in stuck.error


def test_the_admin_shows_why_an_event_failed(admin_client, connection, gallery, pictime_account):
    payload = event(
        "order.created",
        {"id": "o1", "updated_at": gallery["updated_at"]},
        pictime_account["id"],
        "evt_bad_order",
    )
    stored = WebhookEvent.objects.create(
        event_id="evt_bad_order", connection=connection, type="order.created", payload=payload
    )
    webhooks.process(stored.pk)
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.FAILED
    page = admin_client.get("/admin/pictime/webhookevent/").content.decode()
    assert "Failed" in page and "data.number should be present" in page


# Item 6: the webhook log is bounded


def test_posts_to_an_unknown_endpoint_are_not_stored(client, connection):
    for n in range(40):
        r = client.post(
            f"/integrations/pictime/webhooks/nope-{n}/", data=b"x" * 20_000, content_type="application/json"
        )
        assert r.status_code == 404
    assert WebhookDelivery.objects.count() == 0


def test_rejected_deliveries_to_a_known_endpoint_are_stored_without_body_and_rate_limited(
    client, connection, monkeypatch
):
    url = f"/integrations/pictime/webhooks/{connection.webhook_token}/"
    # The limit counts per clock minute: the 40 posts are held inside one, however slow the machine.
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)
    with override_settings(PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE=5):
        for _ in range(40):
            r = client.post(
                url, data=b'{"secret": "' + b"x" * 20_000 + b'"}', content_type="application/json"
            )
            assert r.status_code == 400
    deliveries = WebhookDelivery.objects.all()
    assert deliveries.count() == 5
    assert {d.body for d in deliveries} == {""}
    assert {d.outcome for d in deliveries} == {WebhookDelivery.Outcome.BAD_SIGNATURE}


def test_the_beat_prunes_old_deliveries_and_caps_the_log(connection):
    old = timezone.now() - datetime.timedelta(days=31)
    for n in range(3):
        WebhookDelivery.objects.create(connection=connection, outcome="accepted", event_id=f"old{n}")
    WebhookDelivery.objects.update(received_at=old)
    for n in range(6):
        WebhookDelivery.objects.create(connection=connection, outcome="accepted", event_id=f"new{n}")
    with override_settings(PICTIME_WEBHOOK_LOG_MAX=4):
        assert tasks.prune_webhook_deliveries() == 5
    assert sorted(WebhookDelivery.objects.values_list("event_id", flat=True)) == [
        "new2",
        "new3",
        "new4",
        "new5",
    ]


# Item 2: links from Pic-Time


UNSAFE = "javascript:alert(document.domain)//"


@pytest.mark.parametrize("field", ["public_url", "edit_url", "cover_url"])
def test_an_unsafe_link_in_a_signed_update_is_not_applied_and_the_reason_is_kept(
    send, owner_client, connection, project, link, gallery, pictime_account, field
):
    link.refresh_from_db()
    old = getattr(link, field)
    data = later(
        gallery, 5, image_count=9, status="online", published_at=gallery["updated_at"], **{field: UNSAFE}
    )
    assert send(event("gallery.updated", data, pictime_account["id"], f"evt_{field}")).status_code == 202
    link.refresh_from_db()
    assert getattr(link, field) == old  # kept
    assert link.image_count == 9  # the rest is applied
    stored = WebhookEvent.objects.get(event_id=f"evt_{field}")
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert f"{field}: scheme 'javascript' is not allowed" in stored.error
    panel = owner_client.get(f"/integrations/pictime/projects/{project.pk}/galleries/").content.decode()
    portal = owner_client.get(project.get_portal_url()).content.decode()
    assert "javascript:" not in panel and "javascript:" not in portal


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://galleries.pic-time.com/g/1", True),
        ("http://galleries.pic-time.com/g/1", False),  # Pic-Time is on https: so are its links
        ("https://evil.example/g/1", False),  # not on Pic-Time's host
        ("https://pic-time.com.evil.example/g/1", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//galleries.pic-time.com/g/1", False),
        ("https://user:pw@galleries.pic-time.com/g/1", False),
        ("https://galleries.pic-time.com/g/ 1", False),
    ],
)
def test_links_must_be_https_on_pictimes_hosts_when_pictime_is(url, allowed):
    from pictime.schemas import Gallery
    from tests.pictime_client.conftest import GALLERY

    with override_settings(
        PICTIME_BASE_URL="https://api.pic-time.com", PICTIME_PUBLIC_URL="", PICTIME_URL_HOSTS=["pic-time.com"]
    ):
        parsed = Gallery.from_dict({**GALLERY, "public_url": url, "edit_url": "https://pic-time.com/e/1"})
    assert (parsed.public_url == url) is allowed
    assert ("public_url" in dict(parsed.refused_urls)) is not allowed
    assert "edit_url" not in dict(parsed.refused_urls)


def test_the_sandbox_s_http_links_are_accepted_when_pictime_is_the_sandbox(sandbox):
    from pictime.schemas import Gallery

    account = sandbox.create_account(name="Local Studio", email=f"local-{uuid.uuid4().hex[:8]}@pictime.test")
    gallery = sandbox.create_gallery(account["id"], name="Local")
    with override_settings(PICTIME_BASE_URL=sandbox.url):
        parsed = Gallery.from_dict(gallery)
    assert parsed.public_url == gallery["public_url"] and parsed.refused_urls == ()


def test_unsafe_links_stored_before_they_were_checked_are_blanked(connection, project):
    import importlib

    from django.apps import apps

    from tests.factories import make_link

    unsafe = make_link(
        connection,
        project,
        public_url="javascript:alert(document.cookie)",
        edit_url="https://user:password@pictime.example/dashboard/1",
        cover_url="https://pictime.example/cover.jpg",
    )
    safe = make_link(connection, project)
    before = (safe.public_url, safe.edit_url, safe.cover_url)

    migration = importlib.import_module("pictime.migrations.0006_blank_unchecked_links")
    migration.blank_unsafe_links(apps, None)

    unsafe.refresh_from_db()
    assert (unsafe.public_url, unsafe.edit_url) == ("", "")
    assert unsafe.cover_url == "https://pictime.example/cover.jpg"
    safe.refresh_from_db()
    assert (safe.public_url, safe.edit_url, safe.cover_url) == before
