"""What the studio's Galleries page reads: every linked gallery of the company, what it sold, what
expires next, and the revenue of the last 12 months; and the CSV of photo-sales orders.

Only the CRM's own rows (links, orders, payments), never Pic-Time; every figure is aggregated by
the database (conditional Count, Sum over TruncMonth, correlated subqueries for each listed
gallery), so the page costs the same handful of queries with 10 galleries or 1,000.

Net sales: an order counts its total while it is paid; a refunded or cancelled order counts 0 (it
keeps one row in its latest state, so nothing is counted twice). Sales are per currency and never
added across currencies. Orders count once per company whatever number of projects link their
gallery; a gallery's orders are those stored for its Pic-Time id.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from crm.payments.models import Payment
from pictime.models import Connection, GalleryLink, Order

ZERO = Decimal("0.00")
PER_PAGE = 50
EXPIRING_DAYS = 30  # "Expiring soon" and the summary's "expiring within 30 days"
EXPIRING_SHOWN = 10
TOP = 10
MONTHS = 12
# A backstop: the cached order figures' key already changes with every order and link.
FIGURES_CACHE_SECONDS = 600

# The list's sort keys (in the URL), their database ordering and their label; links without the
# date come last either way, and ties are broken by id so pages don't overlap.
SORTS = {
    "expiry": (F("expires_at").asc(nulls_last=True), "Expiry, soonest first"),
    "-expiry": (F("expires_at").desc(nulls_last=True), "Expiry, latest first"),
    "-sales": (F("net_sales").desc(), "Sales, highest first"),
    "sales": (F("net_sales").asc(), "Sales, lowest first"),
    "-synced": (F("last_synced_at").desc(nulls_last=True), "Last synced, newest first"),
    "synced": (F("last_synced_at").asc(nulls_last=True), "Last synced, oldest first"),
}


def state_q(now) -> dict[str, Q]:
    """A link's state as the page shows it: deleted, else expired, else online or offline."""
    alive = Q(deleted_at__isnull=True)
    expired = alive & Q(expires_at__lte=now)
    current = alive & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return {
        "online": current & Q(status=GalleryLink.Status.ONLINE),
        "offline": current & Q(status=GalleryLink.Status.OFFLINE),
        "expired": expired,
        "deleted": Q(deleted_at__isnull=False),
    }


def expiring_q(now, days) -> Q:
    return state_q(now)["online"] & Q(expires_at__lte=now + datetime.timedelta(days=days))


def linked_orders(company):
    """The company's orders of galleries it has linked (a semi-join, not a per-order lookup)."""
    linked = GalleryLink.objects.for_company(company).values("gallery_id")
    return Order.objects.for_company(company).filter(gallery_id__in=linked)


def with_sales(links):
    """Each link with `orders_count` (every order placed), `net_sales` (paid orders' totals) and
    `sales_currency`, by subqueries on the orders of its gallery."""
    orders = Order.objects.filter(company_id=OuterRef("company_id"), gallery_id=OuterRef("gallery_id"))

    def one(expression, output, **filters):
        return Subquery(
            orders.filter(**filters).order_by().values("gallery_id").annotate(v=expression).values("v")[:1],
            output_field=output,
        )

    money = DecimalField(max_digits=14, decimal_places=2)
    return links.annotate(
        orders_count=Coalesce(one(Count("*"), IntegerField()), Value(0)),
        net_sales=Coalesce(
            one(Sum("total"), money, status=Order.Status.PAID), Value(ZERO), output_field=money
        ),
        sales_currency=one(Max("currency"), CharField()),
    )


# --------------------------------------------------------------------------- the figures
def summary(company, now) -> dict:
    """Galleries online, offline, expired, deleted and expiring within 30 days: one query."""
    states = state_q(now)
    counts = {name: Count("id", filter=q) for name, q in states.items()}
    counts["expiring"] = Count("id", filter=expiring_q(now, EXPIRING_DAYS))
    counts["total"] = Count("id")
    counts["last_linked"] = Max("created_at")  # with the total: the order figures' cache key
    return GalleryLink.objects.for_company(company).aggregate(**counts)


def month_starts(now) -> list[datetime.date]:
    """The first days of the last 12 months, oldest first, in the current time zone."""
    today = timezone.localdate(now)
    year, month = today.year, today.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Revenue:
    currency: str  # the company's: session payments
    months: list[datetime.date]
    payments: list[Decimal]
    sales: dict[str, list[Decimal]] = field(default_factory=dict)  # photo sales per currency

    @property
    def rows(self):
        """(month, session payments, [photo sales in each currency]) for the table."""
        currencies = sorted(self.sales)
        return [
            (m, self.payments[i], [self.sales[c][i] for c in currencies]) for i, m in enumerate(self.months)
        ]

    @property
    def sales_currencies(self):
        return sorted(self.sales)

    def this_month(self):
        return {c: values[-1] for c, values in sorted(self.sales.items())}

    def last_12_months(self):
        return {c: sum(values, ZERO) for c, values in sorted(self.sales.items())}

    def chart(self) -> dict:
        """What the chart script draws (numbers, not strings)."""
        datasets = [
            {"label": f"Session payments ({self.currency})", "data": [float(v) for v in self.payments]}
        ]
        datasets += [
            {"label": f"Photo sales ({c})", "data": [float(v) for v in self.sales[c]]}
            for c in self.sales_currencies
        ]
        return {"labels": [m.strftime("%b %Y") for m in self.months], "datasets": datasets}


def revenue(company, now, sold) -> Revenue:
    """Session payments recorded in the CRM (one grouped query) and net photo sales (`sold`, from
    order_figures), per month of the last 12."""
    months = month_starts(now)
    index = {(m.year, m.month): i for i, m in enumerate(months)}

    def slot(moment):
        local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        return index.get((local.year, local.month))

    payments = [ZERO] * MONTHS
    paid = (
        Payment.objects.for_company(company)
        .filter(status=Payment.Status.SUCCEEDED, paid_at__gte=_aware(months[0]))
        .annotate(month=TruncMonth("paid_at"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in paid:
        i = slot(row["month"])
        if i is not None:
            payments[i] += row["total"]
    result = Revenue(currency=company.currency, months=months, payments=payments)
    for month, currency, total in sold:
        i = slot(month)
        if i is not None:
            result.sales.setdefault(currency, [ZERO] * MONTHS)[i] += total
    return result


def order_figures(company, now, links_version) -> dict:
    """The figures that read every order of the last 12 months or more: net sales per month and
    currency, and the ids of the 10 best-selling links. Kept in the cache (CACHE_URL, shared by
    every web process) under a key that changes with the orders (the newest row, and the newest
    change: a refund moves an order's remote_updated_at forward), the links (count and newest) and the
    month, so a page shows a new sale or refund at once, and the aggregates over 20,000 orders run
    once per change rather than per view. One query when cached, three when not."""
    version = Order.objects.for_company(company).aggregate(n=Max("id"), last=Max("remote_updated_at"))
    months = month_starts(now)
    key = ":".join(
        str(part)
        for part in (
            "galleries-page",
            company.pk,
            months[0],
            timezone.get_current_timezone_name(),
            version["n"],
            version["last"] and version["last"].timestamp(),
            links_version[0],
            links_version[1] and links_version[1].timestamp(),
        )
    )
    figures = cache.get(key)
    if figures is None:
        sold = (
            linked_orders(company)
            .filter(status=Order.Status.PAID, placed_at__gte=_aware(months[0]))
            .annotate(month=TruncMonth("placed_at"))
            .values_list("month", "currency")
            .annotate(total=Sum("total"))
            .order_by()
        )
        top = with_sales(GalleryLink.objects.for_company(company)).order_by("-net_sales", "id")
        figures = {
            "sold": list(sold),
            "top": [pk for pk, net in top.values_list("pk", "net_sales")[:TOP] if net > 0],
        }
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def _rows(links):
    return with_sales(links.select_related("project__client"))


def top_galleries(company, ids) -> list[GalleryLink]:
    """The 10 galleries with the highest net sales (those with none are left out), in that order."""
    rows = {link.pk: link for link in _rows(GalleryLink.objects.for_company(company).filter(pk__in=ids))}
    return [rows[pk] for pk in ids if pk in rows]


def expiring_soon(company, now) -> list[GalleryLink]:
    """Online galleries expiring within 30 days, soonest first (the first 10)."""
    links = GalleryLink.objects.for_company(company).filter(expiring_q(now, EXPIRING_DAYS))
    return list(links.select_related("project__client").order_by("expires_at", "id")[:EXPIRING_SHOWN])


# --------------------------------------------------------------------------- the list
@dataclass
class Filters:
    status: str = ""
    within: int | None = None
    q: str = ""
    sort: str = "expiry"


def gallery_list(company, now, filters: Filters, page_number):
    """The page of the list the filters ask for: (page, paginator)."""
    links = GalleryLink.objects.for_company(company)
    if filters.status:
        links = links.filter(state_q(now)[filters.status])
    if filters.within:
        links = links.filter(
            expires_at__gt=now, expires_at__lte=now + datetime.timedelta(days=filters.within)
        )
    if filters.q:
        links = links.filter(
            Q(name__icontains=filters.q)
            | Q(project__name__icontains=filters.q)
            | Q(project__client__name__icontains=filters.q)
        )
    paginator = Paginator(_rows(links).order_by(SORTS[filters.sort][0], "id"), PER_PAGE)
    return paginator.get_page(page_number), paginator


def page_context(company, filters: Filters, page_number, now=None) -> dict:
    """Everything the page shows, in a fixed number of queries."""
    now = now or timezone.now()
    connection = Connection.objects.for_company(company).first()
    context = {"connection": connection, "now": now, "filters": filters, "company_currency": company.currency}
    if connection is None:
        return context
    counts = summary(company, now)
    figures = order_figures(company, now, (counts["total"], counts["last_linked"]))
    result = revenue(company, now, figures["sold"])
    page, paginator = gallery_list(company, now, filters, page_number)
    context.update(
        summary=counts,
        revenue=result,
        sales_this_month=result.this_month(),
        sales_last_12_months=result.last_12_months(),
        top=top_galleries(company, figures["top"]),
        expiring=expiring_soon(company, now),
        page=page,
        paginator=paginator,
        expiring_days=EXPIRING_DAYS,
    )
    return context


# --------------------------------------------------------------------------- Export CSV
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
        .filter(placed_at__gte=_aware(start), placed_at__lt=_aware(end + datetime.timedelta(days=1)))
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
