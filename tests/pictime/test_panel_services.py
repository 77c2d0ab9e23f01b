"""One test (or a few) per use case of pictime.services.galleries, against Pic-Time's API mocked on
the network (tests/pictime/offline.py): what we ask Pic-Time and what we do with its answers."""

import datetime
import json
import uuid

import pytest
import responses

from crm.projects.models import Activity
from pictime.errors import NotConnected, Unavailable
from pictime.models import GalleryLink, Order, SyncRun
from pictime.services import galleries
from pictime.services.galleries import AlreadyLinked, GalleryData, LinkInactive, NotInAccount
from tests.factories import later
from tests.pictime import offline
from tests.pictime.offline import offline_account, offline_connection  # noqa: F401  (fixtures)
from tests.pictime_client.conftest import gallery_dict, order_dict

WEDDING = datetime.date(2027, 6, 12)


def test_list_account_galleries_searches_and_pages_with_cursors(connection, pictime_api):
    smiths = [gallery_dict(id=f"gal_{i}", name=f"Smith wedding {i:02}") for i in range(12)]
    offline.answer_galleries(pictime_api, *smiths[:10], next_cursor="cur-2", q="smith")
    offline.answer_galleries(pictime_api, *smiths[10:], cursor="cur-2")

    first = galleries.list_account_galleries(connection, q=" smith ")
    second = galleries.list_account_galleries(connection, cursor=first.next_cursor)

    assert len(first.data) == galleries.PAGE_SIZE and first.next_cursor == "cur-2"
    assert second.next_cursor is None
    assert [g.name for g in first.data + second.data] == [f"Smith wedding {i:02}" for i in range(12)]
    # The search is sent once; the next page sends only the cursor, which carries it.
    assert [r.params for r in offline.sent(pictime_api)] == [
        {"q": "smith", "limit": str(galleries.PAGE_SIZE)},
        {"cursor": "cur-2", "limit": str(galleries.PAGE_SIZE)},
    ]


def test_find_duplicates_matches_client_email_and_event_date(connection, pictime_api):
    bella = {"name": "Bella", "email": "Bella@Example.com"}
    same = gallery_dict(id="gal_same", name="Bella wedding", client=bella, event_date="2027-06-12")
    offline.answer_galleries(
        pictime_api,
        same,
        gallery_dict(id="gal_eng", name="Bella engagement", client=bella, event_date="2027-01-02"),
        gallery_dict(
            id="gal_cleo", client={"name": "Cleo", "email": "cleo@example.com"}, event_date="2027-06-12"
        ),
        q="bella@example.com",
    )

    found = galleries.find_duplicates(connection, " Bella@example.com ", WEDDING)

    assert [g.id for g in found] == ["gal_same"]


def test_find_duplicates_without_email_or_date_asks_nothing(connection, pictime_api):
    assert galleries.find_duplicates(connection, "", WEDDING) == []
    assert galleries.find_duplicates(connection, "bella@example.com", None) == []
    assert offline.sent(pictime_api) == []


def test_create_and_link_creates_once_per_idempotency_key(connection, project, pictime_api, owner):
    data = GalleryData(
        name="Bella & Ben Wedding",
        event_date=WEDDING,
        client_name="Bella Bride",
        client_email="bella@example.com",
        brand_id=connection.default_brand_id,
        preset_id=connection.default_preset_id,
        slug="bella-ben",
    )
    key = uuid.uuid4().hex
    made = gallery_dict(
        id="gal_new",
        name="Bella & Ben Wedding",
        slug="bella-ben",
        event_date="2027-06-12",
        client={"name": "Bella Bride", "email": "bella@example.com"},
    )
    offline.answer_create(pictime_api, made, key)  # Pic-Time answers the same gallery for the same key
    offline.answer_orders(pictime_api, "gal_new")

    link = galleries.create_and_link(project, connection, data, key, owner)
    again = galleries.create_and_link(project, connection, data, key, owner)  # a double submit

    assert again.pk == link.pk
    creates = offline.sent(pictime_api, "POST", "/galleries")
    assert len(creates) == 2 and {r.headers["Idempotency-Key"] for r in creates} == {key}
    body = json.loads(creates[0].body)
    assert body["name"] == "Bella & Ben Wedding" and body["slug"] == "bella-ben"
    assert body["client"] == {"name": "Bella Bride", "email": "bella@example.com"}
    assert body["external_ref"] == galleries.external_ref(project.pk)
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert link.origin == GalleryLink.Origin.CREATED
    assert link.status == "offline" and link.image_count == 0 and not link.can_view
    assert link.client_email == "bella@example.com" and link.event_date == WEDDING
    assert link.created_by == owner and link.account_id == connection.account_id
    messages = list(
        project.activities.filter(kind=Activity.Kind.INTEGRATION).values_list("message", flat=True)
    )
    assert messages == ["Pic-Time gallery “Bella & Ben Wedding” created and linked."]


def test_link_existing_links_a_gallery_of_the_account_once(connection, project, pictime_api, owner):
    offline.answer_gallery(pictime_api, gallery_dict(id="gal_eng", name="Engagement session", image_count=12))
    offline.answer_orders(pictime_api, "gal_eng", order_dict(id="ord_1", gallery_id="gal_eng"))

    link = galleries.link_existing(project, connection, " gal_eng ", owner)

    assert link.name == "Engagement session" and link.image_count == 12
    assert link.origin == GalleryLink.Origin.LINKED and link.last_synced_at is not None
    assert Order.objects.filter(gallery_id="gal_eng").count() == 1  # its earlier orders, at once
    with pytest.raises(AlreadyLinked) as refused:
        galleries.link_existing(project, connection, "gal_eng", owner)
    assert refused.value.user_message == "“Engagement session” is already linked to this project."
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert project.activities.filter(message="Pic-Time gallery “Engagement session” linked.").exists()
    assert len(offline.sent(pictime_api, "GET", "/galleries/gal_eng")) == 1  # the second was refused here


def test_link_existing_refuses_another_accounts_gallery(connection, project, pictime_api):
    offline.answer_gallery(pictime_api, {"id": "gal_theirs"}, status=404)  # Pic-Time: not in this account

    with pytest.raises(NotInAccount) as refused:
        galleries.link_existing(project, connection, "gal_theirs")

    assert "isn't in your connected Pic-Time account" in refused.value.user_message
    assert not GalleryLink.objects.exists()


def test_actions_need_a_connection(project, company):
    with pytest.raises(NotConnected) as refused:
        galleries.link_existing(project, None, "g_123")
    assert "Pic-Time is not connected" in refused.value.user_message


def linked(pictime_api, project, connection, gallery):
    offline.answer_gallery(pictime_api, gallery)
    offline.answer_orders(pictime_api, gallery["id"])
    return galleries.link_existing(project, connection, gallery["id"])


def test_sync_link_reads_the_gallery_now(connection, project, pictime_api):
    gallery = gallery_dict(id="gal_w", name="Wedding day")
    link = linked(pictime_api, project, connection, gallery)
    published = later(gallery, 60, status="online", image_count=40, published_at=gallery["updated_at"])
    offline.answer_galleries(pictime_api, published, ids="gal_w")
    offline.answer_orders(pictime_api, "gal_w", order_dict(id="ord_9", gallery_id="gal_w"))

    galleries.sync_link(link)

    link.refresh_from_db()
    assert link.status == "online" and link.image_count == 40 and link.can_view
    run = SyncRun.objects.get(project=project, trigger=SyncRun.Trigger.MANUAL)  # linking made one too
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.requests_made == 2  # the gallery, then its orders (one sync path: sync_links)
    assert run.orders_upserted == 1 and Order.objects.filter(gallery_id="gal_w").count() == 1


def test_sync_link_marks_a_gallery_deleted_in_pictime(connection, project, pictime_api):
    link = linked(pictime_api, project, connection, gallery_dict(id="gal_gone", name="Gone soon"))
    offline.answer_galleries(pictime_api, ids="gal_gone")  # Pic-Time leaves out a gallery it no longer has
    offline.answer_orders(pictime_api, "gal_gone")

    galleries.sync_link(link)

    link.refresh_from_db()
    assert link.is_deleted and link.status == "offline" and not link.can_view


def test_sync_link_leaves_the_link_as_it_was_when_pictime_is_down(connection, project, pictime_api):
    link = linked(pictime_api, project, connection, gallery_dict(id="gal_w", name="Wedding day"))
    synced_at = link.last_synced_at
    offline.answer_down(pictime_api, responses.GET, "/galleries")

    with pytest.raises(Unavailable) as failed:
        galleries.sync_link(link)

    assert failed.value.user_message == "Couldn't reach Pic-Time. Try again in a minute."
    link.refresh_from_db()
    assert link.image_count == 0 and link.last_synced_at == synced_at
    assert (
        SyncRun.objects.get(project=project, trigger=SyncRun.Trigger.MANUAL).status == SyncRun.Status.FAILED
    )


def test_sync_link_refuses_an_inactive_link(connection, project, pictime_api):
    link = linked(pictime_api, project, connection, gallery_dict(id="gal_old", name="Old account's gallery"))
    GalleryLink.objects.filter(pk=link.pk).update(is_active=False)
    link.refresh_from_db()
    asked = len(offline.sent(pictime_api))

    with pytest.raises(LinkInactive):
        galleries.sync_link(link)
    assert len(offline.sent(pictime_api)) == asked


def test_unlink_removes_the_link_and_keeps_the_gallery(connection, project, pictime_api):
    link = linked(pictime_api, project, connection, gallery_dict(id="gal_keep", name="Keep me"))
    asked = len(offline.sent(pictime_api))

    galleries.unlink(link)

    assert not GalleryLink.objects.filter(project=project).exists()
    assert len(offline.sent(pictime_api)) == asked  # nothing asked of Pic-Time, let alone deleted
    assert project.activities.filter(
        message="Pic-Time gallery “Keep me” unlinked (kept in Pic-Time)."
    ).exists()
