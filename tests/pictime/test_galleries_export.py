"""Export CSV of the Galleries page: one row per stored order of the period (refunds as refunded),
streamed; its rows and totals are the stored orders'; bad periods say why; another company's orders
never appear."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from pictime.models import Order
from tests.helpers import messages_of
from tests.pictime.galleries_studio import build_studio, month_moment, other_studio

EXPORT = "/galleries/export.csv"


def read(response):
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def studio(company):
    return build_studio(company)


@pytest.mark.django_db
def test_the_default_period_is_the_last_twelve_months_with_refunds_as_refunded(owner_client, studio, company):
    response = owner_client.get(EXPORT)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="photo-sales-')
    header, *rows = read(response)
    assert ",".join(header) == (
        "Order number,Placed on,Gallery,Project,Client,Customer name,Status,Currency,Subtotal,Total"
    )
    start = timezone.make_aware(
        datetime.datetime.combine(month_moment(studio.now, 11).date().replace(day=1), datetime.time.min)
    )
    stored = Order.objects.filter(company=company, placed_at__gte=start).order_by("placed_at", "id")
    assert [r[0] for r in rows] == [o.number for o in stored]
    assert len(rows) == 9  # Cedar's order of 14 months ago is out of the period
    for row, order in zip(rows, stored, strict=True):
        assert row[1] == timezone.localdate(order.placed_at).isoformat()
        assert row[6] == order.get_status_display()
        assert (row[7], Decimal(row[8]), Decimal(row[9])) == (order.currency, order.subtotal, order.total)
    refunded = [r for r in rows if r[6] == "Refunded"]
    assert [(r[2], r[3], r[4], r[9]) for r in refunded] == [
        ("Aurora Wedding", "Aurora & Sam Wedding", "Aurora Hale", "80.00")
    ]
    assert [r[6] for r in rows].count("Cancelled") == 1

    def total(status, currency):
        return sum((Decimal(r[9]) for r in rows if r[6] == status and r[7] == currency), Decimal(0))

    def stored_total(status, currency):
        return sum((o.total for o in stored if o.status == status and o.currency == currency), Decimal(0))

    for status in ("Paid", "Refunded", "Cancelled"):
        for currency in ("USD", "EUR"):
            assert total(status, currency) == stored_total(status.lower(), currency)
    assert total("Paid", "USD") == Decimal("575.00")  # the page's "last 12 months"


@pytest.mark.django_db
def test_a_chosen_period_includes_both_its_days(owner_client, studio, company):
    day = timezone.localdate(month_moment(studio.now, 2))
    header, *rows = read(owner_client.get(EXPORT, {"from": day.isoformat(), "to": day.isoformat()}))
    assert [(r[2], r[9]) for r in rows] == [("Birch Family", "300.00")]
    everything = read(
        owner_client.get(EXPORT, {"from": "2000-01-01", "to": timezone.localdate().isoformat()})
    )
    assert len(everything) - 1 == Order.objects.filter(company=company).count() == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "error"),
    [
        ({"from": "2026-05-01", "to": "2026-04-01"}, "Export CSV: The period ends before it starts."),
        ({"from": "yesterday", "to": "2026-04-01"}, "Export CSV: From: Enter a date as YYYY-MM-DD."),
        ({"from": "2026-04-01"}, "Export CSV: To: Enter a date."),
    ],
)
def test_a_bad_period_says_why(owner_client, studio, period, error):
    response = owner_client.get(EXPORT, period, follow=True)
    assert response.redirect_chain[-1][0] == "/galleries/"
    assert error in messages_of(response)


@pytest.mark.django_db
def test_another_company_s_orders_never_appear(owner_client, outsider_client, studio, other_company):
    other_studio(other_company)
    ours = read(owner_client.get(EXPORT, {"from": "2000-01-01", "to": "2100-01-01"}))
    assert all("Secret Other Gallery" not in row and "9999.00" not in row for row in ours)
    theirs = read(outsider_client.get(EXPORT, {"from": "2000-01-01", "to": "2100-01-01"}))
    assert [(r[2], r[9]) for r in theirs[1:]] == [("Secret Other Gallery", "9999.00")]
