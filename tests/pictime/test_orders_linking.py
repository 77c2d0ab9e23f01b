"""Photo sales never miss an order: a gallery's earlier orders arrive when it is linked, connecting
runs a first sync at once, and the orders cursor neither skips nor rewrites an order.

Pic-Time's API is mocked on the network (tests/pictime/offline.py): each test registers the answers
it expects, every one must be asked for, and what was asked is checked."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pictime.models import Connection, GalleryLink, Order, SyncRun
from pictime.schemas import TokenSet
from pictime.services import galleries, sync
from pictime.services.connection import connect_account, disconnect
from tests.factories import link_gallery
from tests.fixtures import PICTIME_API, PICTIME_URL, other_company_project
from tests.helpers import workspace
from tests.pictime.offline import (  # noqa: F401  (fixtures)
    answer_create,
    answer_galleries,
    answer_gallery,
    answer_orders,
    offline_account,
    offline_connection,
    page,
    sent,
)
from tests.pictime_client.conftest import ACCOUNT, TOKEN, gallery_dict, order_dict

PRINTS = [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "25.00"}]
ALBUM = [{"sku": "ALBUM", "name": "Wedding album", "quantity": 1, "unit_price": "300.00"}]


def placed(gallery, n, items, **fields):
    """Order number n of the gallery as Pic-Time sends it (no tax: its total is its items')."""
    total = f"{sum(float(i['unit_price']) * i['quantity'] for i in items):.2f}"
    values = {"id": f"ord_{n}", "number": f"PT-{1000 + n}", "gallery_id": gallery["id"], "items": items}
    return order_dict(**{**values, "subtotal": total, "total": total, **fields})


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


def periodic_sync(pictime_api, connection, gallery_ids, *orders):
    """The periodic sync: Pic-Time answers the linked galleries and the account's changed orders."""
    if gallery_ids:
        answer_galleries(pictime_api, *[gallery_dict(id=g) for g in gallery_ids], ids=",".join(gallery_ids))
    pictime_api.get(PICTIME_API + "/orders", json=page(*orders))
    return sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)


@pytest.mark.django_db
def test_linking_a_gallery_with_two_orders_shows_both_at_once(owner_client, connection, project, pictime_api):
    gallery = gallery_dict(id="gal_eng", name="Engagement")
    prints = placed(gallery, 1, PRINTS, status="refunded")
    album = placed(gallery, 2, ALBUM)
    cursor_now(connection)  # the account's cursor has passed them: only linking can bring them
    answer_gallery(pictime_api, gallery)
    answer_orders(pictime_api, "gal_eng", prints, album)

    link_in_panel(owner_client, project, gallery)

    html = workspace(owner_client, project)
    assert prints["number"] in html and album["number"] in html
    assert "Refunded" in html
    assert "Sales total: <strong>$300.00</strong>" in html
    assert Order.objects.for_company(project.company_id).count() == 2
    assert "updated_since" not in sent(pictime_api, "GET", "/orders")[0].params  # all of its orders


@pytest.mark.django_db
def test_a_gallery_created_and_sold_after_the_last_sync_shows_its_orders_once_linked(
    owner_client, connection, project, pictime_api
):
    cursor_now(connection)  # the periodic sync just ran; the next one is up to 15 min away
    gallery = gallery_dict(id="gal_mini", name="Mini session")
    prints = placed(gallery, 1, PRINTS)
    answer_gallery(pictime_api, gallery)
    answer_orders(pictime_api, "gal_mini", prints)

    link_in_panel(owner_client, project, gallery)

    html = workspace(owner_client, project)
    assert prints["number"] in html
    assert "Sales total: <strong>$50.00</strong>" in html
    # The second change: an order placed after linking arrives with the sync, once.
    album = placed(gallery, 2, ALBUM, updated_at="2026-11-26T12:00:00Z")
    run = periodic_sync(pictime_api, connection, ["gal_mini"], album)
    assert run.status == "succeeded", run.error
    html = workspace(owner_client, project)
    assert album["number"] in html and "Sales total: <strong>$350.00</strong>" in html
    assert Order.objects.for_company(project.company_id).count() == 2


@pytest.mark.django_db
def test_a_gallery_created_from_the_panel_asks_for_its_orders_too(connection, project, pictime_api):
    cursor_now(connection)
    answer_create(pictime_api, gallery_dict(id="gal_new", name="Brand new"), "form-1")
    answer_orders(pictime_api, "gal_new")
    galleries.create_and_link(
        project, connection, galleries.GalleryData(name="Brand new"), idempotency_key="form-1"
    )
    assert [(r.method, r.path_url.split("?")[0]) for r in sent(pictime_api)] == [
        ("POST", "/api/v2/galleries"),  # the create
        ("GET", "/api/v2/orders"),  # its orders
    ]


@pytest.mark.django_db
def test_orders_pic_time_refuses_at_linking_are_fetched_by_a_worker(
    owner_client, connection, project, pictime_api, django_capture_on_commit_callbacks
):
    cursor_now(connection)
    gallery = gallery_dict(id="gal_mini", name="Mini session")
    order = placed(gallery, 1, PRINTS)
    answer_gallery(pictime_api, gallery)
    refused = {"error": {"code": "rate_limited", "message": "Too many requests"}}
    pictime_api.get(PICTIME_API + "/orders", status=429, json=refused, headers={"Retry-After": "1"})

    with django_capture_on_commit_callbacks() as queued:
        link_in_panel(owner_client, project, gallery)
    assert GalleryLink.objects.filter(project=project).exists()
    assert order["number"] not in workspace(owner_client, project)

    pictime_api.replace("GET", PICTIME_API + "/orders", json=page(order))  # the account's next turn
    for task in queued:  # the worker's turn (run eagerly here)
        task()
    assert order["number"] in workspace(owner_client, project)
    assert Order.objects.for_company(project.company_id).count() == 1
    asked = sent(pictime_api, "GET", "/orders")
    assert len(asked) == 2 and {r.params["gallery_id"] for r in asked} == {"gal_mini"}


@pytest.mark.django_db
def test_orders_of_a_gallery_linked_in_another_company_stay_there(
    connection, project, other_company, pictime_api
):
    gallery = gallery_dict(id="gal_ours", name="Ours")
    answer_gallery(pictime_api, gallery)
    answer_orders(pictime_api, "gal_ours", placed(gallery, 1, PRINTS))
    galleries.link_existing(project, connection, "gal_ours")
    assert Order.objects.for_company(project.company_id).count() == 1
    assert Order.objects.for_company(other_company.pk).count() == 0
    other = other_company_project(other_company)
    assert not GalleryLink.objects.filter(project=other).exists()


@pytest.mark.django_db
def test_connecting_syncs_the_linked_galleries_orders_at_once(
    owner_client, connection, project, pictime_api, django_capture_on_commit_callbacks
):
    gallery = gallery_dict(id="gal_wed", name="Wedding")
    link_gallery(connection, project, gallery)
    pictime_api.post(PICTIME_URL + "/oauth/revoke")
    disconnect(connection)
    order = placed(gallery, 1, ALBUM)  # while disconnected

    # Connecting again: the account read with the new grant, the webhook subscribed, then the sync.
    pictime_api.get(PICTIME_API + "/account", json={**ACCOUNT, "id": connection.account_id})
    pictime_api.get(PICTIME_API + "/webhooks", json=page())
    subscription = {"id": "wh_1", "url": "http://testserver/x", "events": ["order.created"], "secret": "s"}
    pictime_api.post(PICTIME_API + "/webhooks", json=subscription, status=201)
    answer_galleries(pictime_api, gallery, ids="gal_wed")
    pictime_api.get(PICTIME_API + "/orders", json=page(order))
    with django_capture_on_commit_callbacks(execute=True):
        connect_account(company=project.company, tokens=TokenSet.from_dict(TOKEN))

    assert order["number"] in workspace(owner_client, project)
    connection.refresh_from_db()
    assert connection.last_synced_at is not None  # the admin's "Last synced" is not "–"
    assert SyncRun.objects.filter(trigger=SyncRun.Trigger.CONNECTED, status="succeeded").exists()


@pytest.mark.django_db
def test_the_panels_sync_fetches_the_galleries_orders(owner_client, connection, project, pictime_api):
    gallery = gallery_dict(id="gal_wed", name="Wedding")
    link = link_gallery(connection, project, gallery)
    order = placed(gallery, 1, PRINTS)
    cursor_now(connection)
    answer_galleries(pictime_api, gallery, ids="gal_wed")
    answer_orders(pictime_api, "gal_wed", order)

    owner_client.post(reverse("pictime:panel_sync", args=[project.pk, link.pk]), HTTP_HX_REQUEST="true")

    assert order["number"] in workspace(owner_client, project)


@pytest.mark.django_db
def test_the_periodic_sync_does_not_rewrite_an_unchanged_order(connection, project, pictime_api):
    gallery = gallery_dict(id="gal_wed", name="Wedding")
    link_gallery(connection, project, gallery)
    order = placed(gallery, 1, PRINTS)

    first = periodic_sync(pictime_api, connection, ["gal_wed"], order)
    stored = Order.objects.get(order_id=order["id"])
    Order.objects.filter(pk=stored.pk).update(customer_name="(kept)")  # shows whether it is rewritten
    second = periodic_sync(pictime_api, connection, ["gal_wed"], order)

    assert first.orders_upserted == 1
    assert second.orders_upserted == 0  # updated_since is inclusive: read again, not applied
    assert Order.objects.get(order_id=order["id"]).customer_name == "(kept)"
    # The cursor is Pic-Time's clock: the newest order's updated_at.
    assert sent(pictime_api, "GET", "/orders")[-1].params["updated_since"].startswith("2026-11-26T11:00:00")

    refunded = {**order, "status": "refunded", "updated_at": "2026-11-27T09:00:00Z"}
    third = periodic_sync(pictime_api, connection, ["gal_wed"], refunded)
    assert third.orders_upserted == 1
    assert Order.objects.get(order_id=order["id"]).status == "refunded"


@pytest.mark.django_db
def test_a_gallery_linked_while_the_sync_reads_orders_keeps_them(
    connection, project, pictime_api, monkeypatch
):
    gallery = gallery_dict(id="gal_wed", name="Wedding")
    order = placed(gallery, 1, PRINTS)
    Connection.objects.filter(pk=connection.pk).update(
        orders_synced_until=timezone.now() - datetime.timedelta(days=1)
    )
    real = sync._sync_account_orders

    def link_meanwhile(api, connection, linked, run, retry):
        # The photographer links the gallery right after the run listed its links.
        link_gallery(connection, project, gallery)
        return real(api, connection, linked, run, retry)

    monkeypatch.setattr(sync, "_sync_account_orders", link_meanwhile)
    periodic_sync(pictime_api, connection, [], order)

    assert Order.objects.filter(order_id=order["id"], company=project.company).exists()
