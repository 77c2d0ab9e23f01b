"""One test (or a few) per use case of pictime.services.galleries, against the sandbox over HTTP."""

import datetime
import uuid

import pytest

from crm.projects.models import Activity
from pictime.errors import NotConnected, Unavailable
from pictime.models import GalleryLink, Order, SyncRun
from pictime.services import galleries
from pictime.services.galleries import AlreadyLinked, GalleryData, LinkInactive, NotInAccount
from tests.factories import galleries_at_pictime, requests_at_pictime

WEDDING = datetime.date(2027, 6, 12)


def test_list_account_galleries_searches_and_pages_with_cursors(connection, sandbox, pictime_account):
    for i in range(12):
        sandbox.create_gallery(pictime_account["id"], name=f"Smith wedding {i:02}")
    sandbox.create_gallery(pictime_account["id"], name="Jones engagement")

    first = galleries.list_account_galleries(connection, q="smith")
    assert len(first.data) == galleries.PAGE_SIZE and first.next_cursor
    second = galleries.list_account_galleries(connection, cursor=first.next_cursor)
    assert second.next_cursor is None
    names = [g.name for g in first.data + second.data]
    assert sorted(names) == [f"Smith wedding {i:02}" for i in range(12)]

    assert [g.name for g in galleries.list_account_galleries(connection, q="JONES").data] == [
        "Jones engagement"
    ]


def test_find_duplicates_matches_client_email_and_event_date(connection, sandbox, pictime_account):
    acc = pictime_account["id"]
    same = sandbox.create_gallery(
        acc,
        name="Bella wedding",
        client={"name": "Bella", "email": "Bella@Example.com"},
        event_date="2027-06-12",
    )
    sandbox.create_gallery(
        acc,
        name="Bella engagement",
        client={"name": "Bella", "email": "bella@example.com"},
        event_date="2027-01-02",
    )
    sandbox.create_gallery(
        acc,
        name="Other client",
        client={"name": "Cleo", "email": "cleo@example.com"},
        event_date="2027-06-12",
    )

    found = galleries.find_duplicates(connection, "bella@example.com", WEDDING)
    assert [g.id for g in found] == [same["id"]]
    assert galleries.find_duplicates(connection, "nobody@example.com", WEDDING) == []


def test_find_duplicates_without_email_or_date_asks_nothing(connection, sandbox, pictime_account):
    before = requests_at_pictime(sandbox, pictime_account)
    assert galleries.find_duplicates(connection, "", WEDDING) == []
    assert galleries.find_duplicates(connection, "bella@example.com", None) == []
    assert requests_at_pictime(sandbox, pictime_account) == before


def test_create_and_link_creates_once_per_idempotency_key(
    connection, project, sandbox, pictime_account, owner
):
    data = GalleryData(
        name="Bella & Ben Wedding",
        event_date=WEDDING,
        client_name="Bella Bride",
        client_email="bella@example.com",
        brand_id=connection.default_brand_id,
        preset_id=connection.default_preset_id,
        slug=f"bella-ben-{uuid.uuid4().hex[:6]}",
    )
    key = uuid.uuid4().hex
    before = galleries_at_pictime(sandbox, pictime_account)

    link = galleries.create_and_link(project, connection, data, key, owner)
    again = galleries.create_and_link(project, connection, data, key, owner)  # a double submit

    assert again.pk == link.pk
    assert galleries_at_pictime(sandbox, pictime_account) == before + 1
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert link.origin == GalleryLink.Origin.CREATED
    assert link.status == "offline" and link.image_count == 0 and not link.can_view
    assert link.client_email == "bella@example.com" and link.event_date == WEDDING
    assert link.created_by == owner and link.account_id == pictime_account["id"]
    messages = list(
        project.activities.filter(kind=Activity.Kind.INTEGRATION).values_list("message", flat=True)
    )
    assert messages == ["Pic-Time gallery “Bella & Ben Wedding” created and linked."]


def test_link_existing_links_a_gallery_of_the_account_once(
    connection, project, sandbox, pictime_account, owner
):
    remote = sandbox.create_gallery(pictime_account["id"], name="Engagement session")
    sandbox.add_photos(remote["id"], 12)

    link = galleries.link_existing(project, connection, remote["id"], owner)

    assert link.name == "Engagement session" and link.image_count == 12
    assert link.origin == GalleryLink.Origin.LINKED and link.last_synced_at is not None
    with pytest.raises(AlreadyLinked) as refused:
        galleries.link_existing(project, connection, remote["id"], owner)
    assert refused.value.user_message == "“Engagement session” is already linked to this project."
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert project.activities.filter(message="Pic-Time gallery “Engagement session” linked.").exists()


def test_link_existing_refuses_another_accounts_gallery(connection, project, sandbox):
    stranger = sandbox.create_account(name="Someone else", email=f"else-{uuid.uuid4().hex[:8]}@pictime.test")
    theirs = sandbox.create_gallery(stranger["id"], name="Not yours")

    with pytest.raises(NotInAccount) as refused:
        galleries.link_existing(project, connection, theirs["id"])

    assert "isn't in your connected Pic-Time account" in refused.value.user_message
    assert not GalleryLink.objects.exists()


def test_actions_need_a_connection(project, company):
    with pytest.raises(NotConnected) as refused:
        galleries.link_existing(project, None, "g_123")
    assert "Pic-Time is not connected" in refused.value.user_message


def test_sync_link_reads_the_gallery_now(connection, project, sandbox, pictime_account):
    remote = sandbox.create_gallery(pictime_account["id"], name="Wedding day")
    link = galleries.link_existing(project, connection, remote["id"])
    sandbox.add_photos(remote["id"], 40)
    sandbox.publish(remote["id"])
    sandbox.place_order(remote["id"])

    galleries.sync_link(link)

    link.refresh_from_db()
    assert link.status == "online" and link.image_count == 40 and link.can_view
    run = SyncRun.objects.get(project=project, trigger=SyncRun.Trigger.MANUAL)  # linking made one too
    assert run.trigger == SyncRun.Trigger.MANUAL and run.status == SyncRun.Status.SUCCEEDED
    assert run.requests_made == 2  # the gallery, then its orders (one sync path: sync_links)
    assert run.orders_upserted == 1 and Order.objects.filter(gallery_id=remote["id"]).count() == 1


def test_sync_link_marks_a_gallery_deleted_in_pictime(connection, project, sandbox, pictime_account):
    remote = sandbox.create_gallery(pictime_account["id"], name="Gone soon")
    link = galleries.link_existing(project, connection, remote["id"])
    sandbox.delete_gallery(remote["id"])

    galleries.sync_link(link)

    link.refresh_from_db()
    assert link.is_deleted and link.status == "offline" and not link.can_view


def test_sync_link_leaves_the_link_as_it_was_when_pictime_is_down(
    connection, project, sandbox, pictime_account
):
    remote = sandbox.create_gallery(pictime_account["id"], name="Wedding day")
    link = galleries.link_existing(project, connection, remote["id"])
    sandbox.add_photos(remote["id"], 5)
    synced_at = link.last_synced_at
    sandbox.set_faults(fail_next=5)

    with pytest.raises(Unavailable) as failed:
        galleries.sync_link(link)

    assert failed.value.user_message == "Couldn't reach Pic-Time. Try again in a minute."
    link.refresh_from_db()
    assert link.image_count == 0 and link.last_synced_at == synced_at
    assert (
        SyncRun.objects.get(project=project, trigger=SyncRun.Trigger.MANUAL).status == SyncRun.Status.FAILED
    )


def test_sync_link_refuses_an_inactive_link(connection, project, sandbox, pictime_account):
    remote = sandbox.create_gallery(pictime_account["id"], name="Old account's gallery")
    link = galleries.link_existing(project, connection, remote["id"])
    GalleryLink.objects.filter(pk=link.pk).update(is_active=False)
    link.refresh_from_db()
    before = requests_at_pictime(sandbox, pictime_account)

    with pytest.raises(LinkInactive):
        galleries.sync_link(link)
    assert requests_at_pictime(sandbox, pictime_account) == before


def test_unlink_removes_the_link_and_keeps_the_gallery(connection, project, sandbox, pictime_account):
    remote = sandbox.create_gallery(pictime_account["id"], name="Keep me")
    link = galleries.link_existing(project, connection, remote["id"])
    before = galleries_at_pictime(sandbox, pictime_account)

    galleries.unlink(link)

    assert not GalleryLink.objects.filter(project=project).exists()
    assert galleries_at_pictime(sandbox, pictime_account) == before
    assert project.activities.filter(
        message="Pic-Time gallery “Keep me” unlinked (kept in Pic-Time)."
    ).exists()
