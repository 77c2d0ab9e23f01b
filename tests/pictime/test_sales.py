"""Photo sales in the project workspace: each order once, refunds and cancellations counting 0."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from pictime.models import Order, SyncRun
from pictime.services import sync
from pictime.services.sales import sales_context
from tests.factories import link_gallery
from tests.fixtures import other_company_project
from tests.helpers import workspace

PRINTS = [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "25.00"}]
ALBUM = [
    {"sku": "ALBUM", "name": "Wedding album", "quantity": 1, "unit_price": "300.00"},
    {"sku": "DIGITAL", "name": "All digital files", "quantity": 1, "unit_price": "120.50"},
]


@pytest.fixture
def gallery(sandbox, pictime_account, connection, project):
    made = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link_gallery(connection, project, made)
    return made


@pytest.mark.django_db
def test_the_workspace_lists_orders_and_the_sales_total(owner_client, connection, project, gallery, sandbox):
    prints = sandbox.place_order(
        gallery["id"], items=PRINTS, customer={"name": "Aunt May", "email": "may@example.com"}
    )
    album = sandbox.place_order(gallery["id"], items=ALBUM)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)

    html = workspace(owner_client, project)
    assert "Photo sales" in html
    assert prints["number"] in html and album["number"] in html
    assert "Aunt May" in html
    assert "2 items" in html
    assert "$50.00" in html and "$420.50" in html
    assert "Sales total: <strong>$470.50</strong>" in html


@pytest.mark.django_db
def test_a_refund_drops_the_total_and_nothing_is_counted_twice(
    owner_client, connection, project, gallery, sandbox
):
    prints = sandbox.place_order(gallery["id"], items=PRINTS)
    sandbox.place_order(gallery["id"], items=ALBUM)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    sandbox.refund_order(prints["id"])
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    sync.sync_links(
        connection, project.gallery_links.all(), SyncRun.Trigger.MANUAL, project=project
    )  # the same orders, fetched again

    assert Order.objects.count() == 2
    html = workspace(owner_client, project)
    assert "Refunded" in html
    assert "Sales total: <strong>$420.50</strong>" in html


@pytest.mark.django_db
def test_cancelled_orders_count_zero(connection, project, gallery, sandbox):
    album = sandbox.place_order(gallery["id"], items=ALBUM)
    sandbox.admin("POST", f"/_sandbox/orders/{album['id']}/cancel")
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
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
def test_the_query_count_does_not_grow_with_the_orders(connection, project, gallery, sandbox):
    sandbox.place_order(gallery["id"], items=PRINTS)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    with CaptureQueriesContext(db) as one:
        sales_context(project)
    for _ in range(9):
        sandbox.place_order(gallery["id"], items=PRINTS)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    with CaptureQueriesContext(db) as ten:
        context = sales_context(project)
    assert len(context["orders"]) == 10
    assert len(ten) == len(one) == 1


@pytest.mark.django_db
def test_the_orders_are_queried_only_once_a_linked_gallery_has_sales(
    owner_client, connection, project, gallery, sandbox
):
    with CaptureQueriesContext(db) as without_sales:
        html = workspace(owner_client, project)
    assert "No photo sales yet" in html

    prints = sandbox.place_order(gallery["id"], items=PRINTS)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    with CaptureQueriesContext(db) as with_sales:
        html = workspace(owner_client, project)
    assert prints["number"] in html
    assert "Sales total: <strong>$50.00</strong>" in html
    assert len(with_sales) == len(without_sales) + 1
