"""Photo sales in the project workspace: each order once, refunds and cancellations counting 0.
The orders arrive by the sync, from Pic-Time's API mocked on the network (tests/pictime/offline.py)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from pictime.models import Order, SyncRun
from pictime.services import sync
from pictime.services.sales import sales_context
from tests.factories import link_gallery
from tests.fixtures import PICTIME_API, other_company_project
from tests.helpers import workspace
from tests.pictime.offline import (  # noqa: F401  (fixtures)
    answer_galleries,
    offline_account,
    offline_connection,
    page,
    sent,
)
from tests.pictime_client.conftest import gallery_dict, order_dict

PRINTS = [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "25.00"}]
ALBUM = [
    {"sku": "ALBUM", "name": "Wedding album", "quantity": 1, "unit_price": "300.00"},
    {"sku": "DIGITAL", "name": "All digital files", "quantity": 1, "unit_price": "120.50"},
]


@pytest.fixture
def gallery(connection, project):
    made = gallery_dict(id="gal_bella", name="Bella & Ben Wedding")
    link_gallery(connection, project, made)
    return made


def placed(gallery, n, items, **fields):
    """Order number n of the gallery as Pic-Time sends it (no tax: its total is its items')."""
    total = f"{sum(Decimal(i['unit_price']) * i['quantity'] for i in items):.2f}"
    values = {"id": f"ord_{n}", "number": f"PT-{1000 + n}", "gallery_id": gallery["id"], "items": items}
    return order_dict(**{**values, "subtotal": total, "total": total, **fields})


def refunded(order):
    return {**order, "status": "refunded", "updated_at": "2026-11-27T09:00:00Z"}


def periodic_sync(pictime_api, connection, gallery, *orders):
    """The periodic sync: Pic-Time answers the linked gallery and the account's changed orders."""
    answer_galleries(pictime_api, gallery, ids=gallery["id"])
    pictime_api.get(PICTIME_API + "/orders", json=page(*orders))
    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == "succeeded", run.error


@pytest.mark.django_db
def test_the_workspace_lists_orders_and_the_sales_total(
    owner_client, connection, project, gallery, pictime_api
):
    prints = placed(gallery, 1, PRINTS, customer={"name": "Aunt May", "email": "may@example.com"})
    album = placed(gallery, 2, ALBUM)
    periodic_sync(pictime_api, connection, gallery, prints, album)

    html = workspace(owner_client, project)
    assert "Photo sales" in html
    assert prints["number"] in html and album["number"] in html
    assert "Aunt May" in html
    assert "2 items" in html
    assert "$50.00" in html and "$420.50" in html
    assert "Sales total: <strong>$470.50</strong>" in html


@pytest.mark.django_db
def test_a_refund_drops_the_total_and_nothing_is_counted_twice(
    owner_client, connection, project, gallery, pictime_api
):
    prints, album = placed(gallery, 1, PRINTS), placed(gallery, 2, ALBUM)
    periodic_sync(pictime_api, connection, gallery, prints, album)
    periodic_sync(pictime_api, connection, gallery, refunded(prints))
    # The same orders, fetched again by the project's Sync.
    pictime_api.get(PICTIME_API + "/orders", json=page(refunded(prints), album))
    sync.sync_links(connection, project.gallery_links.all(), SyncRun.Trigger.MANUAL, project=project)

    assert Order.objects.count() == 2
    html = workspace(owner_client, project)
    assert "Refunded" in html
    assert "Sales total: <strong>$420.50</strong>" in html


@pytest.mark.django_db
def test_cancelled_orders_count_zero(connection, project, gallery, pictime_api):
    periodic_sync(pictime_api, connection, gallery, placed(gallery, 1, ALBUM, status="cancelled"))
    context = sales_context(project)
    assert [o.status for o in context["orders"]] == ["cancelled"]
    assert context["totals"] == [("USD", Decimal("0.00"))]


@pytest.mark.django_db
def test_no_sales_section_until_a_gallery_is_linked(owner_client, connection, project):
    assert "Photo sales" not in workspace(owner_client, project)


@pytest.mark.django_db
def test_an_order_of_another_company_with_the_same_gallery_id_is_not_shown(
    owner_client, connection, project, gallery, other_company
):
    Order.objects.create(
        company=other_company,
        order_id="ord_theirs",
        gallery_id=gallery["id"],
        number="PT-9999",
        status="paid",
        currency="USD",
        subtotal=Decimal("999.00"),
        total=Decimal("999.00"),
        placed_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
        remote_updated_at=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC),
    )
    other_company_project(other_company)
    html = workspace(owner_client, project)
    assert "PT-9999" not in html
    assert "No photo sales yet" in html


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_orders(connection, project, gallery, pictime_api):
    periodic_sync(pictime_api, connection, gallery, placed(gallery, 0, PRINTS))
    with CaptureQueriesContext(db) as one:
        sales_context(project)
    periodic_sync(pictime_api, connection, gallery, *[placed(gallery, n, PRINTS) for n in range(1, 10)])
    with CaptureQueriesContext(db) as ten:
        context = sales_context(project)
    assert len(context["orders"]) == 10
    assert len(ten) == len(one) == 1


@pytest.mark.django_db
def test_the_orders_are_queried_only_once_a_linked_gallery_has_sales(
    owner_client, connection, project, gallery, pictime_api
):
    with CaptureQueriesContext(db) as without_sales:
        html = workspace(owner_client, project)
    assert "No photo sales yet" in html

    prints = placed(gallery, 1, PRINTS)
    periodic_sync(pictime_api, connection, gallery, prints)
    with CaptureQueriesContext(db) as with_sales:
        html = workspace(owner_client, project)
    assert prints["number"] in html
    assert "Sales total: <strong>$50.00</strong>" in html
    assert len(with_sales) == len(without_sales) + 1
