"""Photo sales never miss an order: a gallery's earlier orders arrive when it is linked, connecting
runs a first sync at once, and the orders cursor neither skips nor rewrites an order."""

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from pictime.models import Connection, GalleryLink, Order, SyncRun
from pictime.schemas import TokenSet
from pictime.services import galleries, sync
from pictime.services.connection import connect_account, disconnect
from tests.factories import link_gallery
from tests.fixtures import other_company_project
from tests.helpers import workspace

PRINTS = [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "25.00"}]
ALBUM = [{"sku": "ALBUM", "name": "Wedding album", "quantity": 1, "unit_price": "300.00"}]


def link_in_panel(http, project, gallery):
    """The panel's Add gallery > an existing gallery > Link."""
    response = http.post(
        reverse("pictime:panel_connect", args=[project.pk]),
        {"gallery_id": gallery["id"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200


def cursor_now(connection):
    """As if the periodic sync had just run: its cursor is past every order there is."""
    Connection.objects.filter(pk=connection.pk).update(orders_synced_until=timezone.now())


@pytest.mark.django_db
def test_linking_a_gallery_with_two_orders_shows_both_at_once(
    owner_client, connection, project, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Engagement")
    prints = sandbox.place_order(gallery["id"], items=PRINTS)
    album = sandbox.place_order(gallery["id"], items=ALBUM)
    sandbox.refund_order(prints["id"])
    cursor_now(connection)  # the account's cursor has passed them: only linking can bring them

    link_in_panel(owner_client, project, gallery)

    html = workspace(owner_client, project)
    assert prints["number"] in html and album["number"] in html
    assert "Refunded" in html
    assert "Sales total: <strong>$300.00</strong>" in html
    assert Order.objects.for_company(project.company_id).count() == 2


@pytest.mark.django_db
def test_a_gallery_created_and_sold_after_the_last_sync_shows_its_orders_once_linked(
    owner_client, connection, project, sandbox, pictime_account
):
    cursor_now(connection)  # the periodic sync just ran; the next one is up to 15 min away
    gallery = sandbox.create_gallery(pictime_account["id"], name="Mini session")
    prints = sandbox.place_order(gallery["id"], items=PRINTS)

    link_in_panel(owner_client, project, gallery)

    html = workspace(owner_client, project)
    assert prints["number"] in html
    assert "Sales total: <strong>$50.00</strong>" in html
    # The second change: an order placed after linking arrives with the sync, once.
    album = sandbox.place_order(gallery["id"], items=ALBUM)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    html = workspace(owner_client, project)
    assert album["number"] in html and "Sales total: <strong>$350.00</strong>" in html
    assert Order.objects.for_company(project.company_id).count() == 2


@pytest.mark.django_db
def test_a_gallery_created_from_the_panel_asks_for_its_orders_too(
    connection, project, sandbox, pictime_account
):
    cursor_now(connection)
    before = sandbox.stats(pictime_account["id"])["api_requests"]
    galleries.create_and_link(
        project, connection, galleries.GalleryData(name="Brand new"), idempotency_key="form-1"
    )
    assert sandbox.stats(pictime_account["id"])["api_requests"] == before + 2  # the create, its orders


@pytest.mark.django_db
def test_orders_pic_time_refuses_at_linking_are_fetched_by_a_worker(
    owner_client, connection, project, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    cursor_now(connection)
    gallery = sandbox.create_gallery(pictime_account["id"], name="Mini session")
    order = sandbox.place_order(gallery["id"], items=PRINTS)
    sandbox.set_rate_limit(per_sec=1, burst=1)  # the gallery's read takes the account's only turn

    with django_capture_on_commit_callbacks() as queued:
        link_in_panel(owner_client, project, gallery)
    assert GalleryLink.objects.filter(project=project).exists()
    assert order["number"] not in workspace(owner_client, project)

    time.sleep(1.1)  # the account's next turn
    for task in queued:  # the worker's turn (run eagerly here)
        task()
    assert order["number"] in workspace(owner_client, project)
    assert Order.objects.for_company(project.company_id).count() == 1


@pytest.mark.django_db
def test_orders_of_a_gallery_linked_in_another_company_stay_there(
    connection, project, other_company, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Ours")
    sandbox.place_order(gallery["id"], items=PRINTS)
    galleries.link_existing(project, connection, gallery["id"])
    assert Order.objects.for_company(project.company_id).count() == 1
    assert Order.objects.for_company(other_company.pk).count() == 0
    other = other_company_project(other_company)
    assert not GalleryLink.objects.filter(project=other).exists()


@pytest.mark.django_db
def test_connecting_syncs_the_linked_galleries_orders_at_once(
    owner_client,
    connection,
    project,
    sandbox,
    pictime_account,
    pictime_settings,
    django_capture_on_commit_callbacks,
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Wedding")
    galleries.link_existing(project, connection, gallery["id"])
    disconnect(connection)
    order = sandbox.place_order(gallery["id"], items=ALBUM)  # while disconnected

    grant = sandbox.issue_grant(pictime_account["id"], pictime_settings.PICTIME_CLIENT_ID)
    with django_capture_on_commit_callbacks(execute=True):
        connect_account(company=project.company, tokens=TokenSet.from_dict(grant))

    assert order["number"] in workspace(owner_client, project)
    connection.refresh_from_db()
    assert connection.last_synced_at is not None  # the admin's "Last synced" is not "–"
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.CONNECTED, status="succeeded").exists()


@pytest.mark.django_db
def test_the_panels_sync_fetches_the_galleries_orders(
    owner_client, connection, project, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Wedding")
    link = galleries.link_existing(project, connection, gallery["id"])
    order = sandbox.place_order(gallery["id"], items=PRINTS)
    cursor_now(connection)

    owner_client.post(reverse("pictime:panel_sync", args=[project.pk, link.pk]), HTTP_HX_REQUEST="true")

    assert order["number"] in workspace(owner_client, project)


@pytest.mark.django_db
def test_the_periodic_sync_does_not_rewrite_an_unchanged_order(connection, project, sandbox, pictime_account):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Wedding")
    galleries.link_existing(project, connection, gallery["id"])
    order = sandbox.place_order(gallery["id"], items=PRINTS)

    first = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    stored = Order.objects.get(order_id=order["id"])
    Order.objects.filter(pk=stored.pk).update(customer_name="(kept)")  # shows whether it is rewritten
    second = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)

    assert first.orders_upserted == 1
    assert second.orders_upserted == 0  # updated_since is inclusive: read again, not applied
    assert Order.objects.get(order_id=order["id"]).customer_name == "(kept)"

    sandbox.refund_order(order["id"])
    third = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert third.orders_upserted == 1
    assert Order.objects.get(order_id=order["id"]).status == "refunded"


@pytest.mark.django_db
def test_a_gallery_linked_while_the_sync_reads_orders_keeps_them(
    connection, project, sandbox, pictime_account, monkeypatch
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Wedding")
    order = sandbox.place_order(gallery["id"], items=PRINTS)
    Connection.objects.filter(pk=connection.pk).update(
        orders_synced_until=timezone.now() - datetime.timedelta(days=1)
    )
    real = sync._sync_account_orders

    def link_meanwhile(api, connection, linked, run, retry):
        # The photographer links the gallery right after the run listed its links.
        link_gallery(connection, project, gallery)
        return real(api, connection, linked, run, retry)

    monkeypatch.setattr(sync, "_sync_account_orders", link_meanwhile)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)

    assert Order.objects.filter(order_id=order["id"], company=project.company).exists()
