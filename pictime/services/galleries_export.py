"""Export CSV of the Galleries page: the company's photo-sales orders placed in a period, one row an
order, streamed (orders are read in chunks from a server-side cursor, never all in memory)."""

import datetime

from django.utils import timezone

from pictime.models import GalleryLink, Order
from pictime.services.galleries_page import linked_orders, local_midnight, month_starts

DAY = datetime.timedelta(days=1)
CSV_HEADER = [
    "Order number",
    "Placed on",
    "Gallery",
    "Project",
    "Client",
    "Customer name",
    "Status",
    "Currency",
    "Subtotal",
    "Total",
]


def default_period(now=None) -> tuple[datetime.date, datetime.date]:
    """The last 12 months, as the chart shows them: from the first day of its first month to today."""
    now = now or timezone.now()
    return month_starts(now)[0], timezone.localdate(now)


def export_rows(company, start: datetime.date, end: datetime.date):
    """The CSV's rows (header first): one per order placed from `start` to `end` (inclusive, in the
    current time zone). Orders are read in chunks from a server-side cursor, so 20,000 orders never
    sit in memory; the company's links (one row per gallery) are read once to name each order's
    gallery, project and client."""
    names = {}
    for gallery_id, gallery, project, client in (
        GalleryLink.objects.for_company(company)
        .order_by("-created_at", "-id")  # the oldest link of a gallery wins
        .values_list("gallery_id", "name", "project__name", "project__client__name")
    ):
        names[gallery_id] = (gallery, project, client)
    yield CSV_HEADER
    orders = (
        linked_orders(company)
        .filter(placed_at__gte=local_midnight(start), placed_at__lt=local_midnight(end + DAY))
        .order_by("placed_at", "id")
        .values_list(
            "number", "placed_at", "gallery_id", "customer_name", "status", "currency", "subtotal", "total"
        )
    )
    labels = dict(Order.Status.choices)
    for number, placed_at, gallery_id, customer, status, currency, subtotal, total in orders.iterator(
        chunk_size=2000
    ):
        gallery, project, client = names.get(gallery_id, ("", "", ""))
        yield [
            number,
            timezone.localdate(placed_at).isoformat(),
            gallery,
            project,
            client,
            customer,
            labels.get(status, status),
            currency,
            f"{subtotal:.2f}",
            f"{total:.2f}",
        ]
