"""What the studio's Galleries page reads: every linked gallery of the company, what it sold, what
expires next, and the revenue of the last 12 months (its Export CSV: galleries_export).

Only the CRM's own rows (links, orders, payments), never Pic-Time; every figure is aggregated by
the database (conditional Count, Sum over TruncMonth, Count/Sum grouped by gallery), so the page
costs the same handful of queries with 10 galleries or 1,000. What a view computes is kept in the
cache under a key that moves with everything it shows (page_context, galleries_freshness); the
aggregates over every order are also kept on their own, for every view (order_figures); the tables
read plain values (no model instances) and each row's sales from those figures.

Net sales: an order counts its total while it is paid; a refunded or cancelled order counts 0 (it
keeps one row in its latest state, so nothing is counted twice). Sales are per currency and never
added across currencies. Orders count once per company whatever number of projects link their
gallery; a gallery's orders are those stored for its Pic-Time id.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import models
from django.db.models import (
    Count,
    F,
    Max,
    Min,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone

from crm.payments.models import Payment
from pictime.models import Connection, GalleryLink, Order
from pictime.services import galleries_freshness as freshness

ZERO = Decimal("0.00")
PER_PAGE = 50
EXPIRING_DAYS = 30  # "Expiring soon" and the summary's "expiring within 30 days"
EXPIRING_SHOWN = 10
TOP = 10
MONTHS = 12
# A backstop: the cached order figures' key already changes with every order and link.
FIGURES_CACHE_SECONDS = 600

# The list's sort keys (in the URL), their database ordering and their label; links without the
# date come last either way, and ties are broken by id so pages don't overlap. Sales are ordered
# by the cached per-gallery figures (gallery_list), not by the database.
SORTS = {
    "expiry": (F("expires_at").asc(nulls_last=True), "Expiry, soonest first"),
    "-expiry": (F("expires_at").desc(nulls_last=True), "Expiry, latest first"),
    "-sales": (None, "Sales, highest first"),
    "sales": (None, "Sales, lowest first"),
    "-synced": (F("last_synced_at").desc(nulls_last=True), "Last synced, newest first"),
    "synced": (F("last_synced_at").asc(nulls_last=True), "Last synced, oldest first"),
}


class State(models.TextChoices):
    """A link's state as the page shows it: deleted, else expired, else online or offline."""

    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    EXPIRED = "expired", "Expired"
    DELETED = "deleted", "Deleted"


def state_q(now) -> dict[str, Q]:
    """Each State as a filter of links."""
    alive = Q(deleted_at__isnull=True)
    expired = alive & Q(expires_at__lte=now)
    current = alive & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return {
        State.ONLINE: current & Q(status=GalleryLink.Status.ONLINE),
        State.OFFLINE: current & Q(status=GalleryLink.Status.OFFLINE),
        State.EXPIRED: expired,
        State.DELETED: Q(deleted_at__isnull=False),
    }


def expiring_q(now, days) -> Q:
    return state_q(now)[State.ONLINE] & Q(expires_at__lte=now + datetime.timedelta(days=days))


def linked_orders(company):
    """The company's orders of galleries it has linked (a semi-join, not a per-order lookup)."""
    linked = GalleryLink.objects.for_company(company).values("gallery_id")
    return Order.objects.for_company(company).filter(gallery_id__in=linked)


# --------------------------------------------------------------------------- the figures
def summary(company, now, horizons=(0, EXPIRING_DAYS)) -> dict:
    """Galleries online, offline, expired, deleted and expiring within 30 days: one query of flat
    conditional counts (cheaper to build than one per state_q), each state a difference of two.
    With `next`: for each of `horizons` (days), the soonest expiry after now + days (when a count
    or a "within N days" list next changes)."""
    alive, ended = Q(deleted_at__isnull=True), Q(expires_at__lte=now)
    online = alive & Q(status=GalleryLink.Status.ONLINE)
    soon = Q(expires_at__gt=now, expires_at__lte=now + datetime.timedelta(days=EXPIRING_DAYS))
    counts = GalleryLink.objects.for_company(company).aggregate(
        total=Count("id"),
        deleted=Count("id", filter=Q(deleted_at__isnull=False)),
        expired=Count("id", filter=alive & ended),
        online_all=Count("id", filter=online),
        online_ended=Count("id", filter=online & ended),
        expiring=Count("id", filter=online & soon),
        **{
            f"next_{days}": Min("expires_at", filter=Q(expires_at__gt=now + datetime.timedelta(days=days)))
            for days in horizons
        },
    )
    counts["next"] = {days: counts.pop(f"next_{days}") for days in horizons}
    counts["online"] = counts["online_all"] - counts["online_ended"]
    counts["offline"] = counts["total"] - counts["deleted"] - counts["expired"] - counts["online"]
    return counts


def month_starts(now) -> list[datetime.date]:
    """The first days of the last 12 months, oldest first, in the current time zone."""
    today = timezone.localdate(now)
    year, month = today.year, today.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def local_midnight(day: datetime.date) -> datetime.datetime:
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
        .filter(status=Payment.Status.SUCCEEDED, paid_at__gte=local_midnight(months[0]))
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


def order_figures(company, now, version) -> dict:
    """The figures that read every order: net sales per month and currency (`sold`); each linked
    gallery's orders, net sales, currency and rank by net sales (`sales`, see per_gallery); and the
    galleries the top 10 is drawn from (`top`). Kept in the cache (CACHE_URL, shared by every web
    process) under a key that changes with the orders (the newest row, the newest change, and the
    projects' stamp that storing an order moves), the links (count and newest) and the month, all
    from the page's version (galleries_freshness); shared by every filter, sort and page of the
    list. No query when cached, two when not."""
    months = month_starts(now)
    parts = (
        company.pk,
        months[0],
        timezone.get_current_timezone_name(),
        version.orders,
        version.links,
        version.projects,  # an order stored by the services moves its projects' stamps
    )
    key = "galleries-page:5:" + hashlib.sha256(repr(parts).encode()).hexdigest()  # no spaces
    figures = cache.get(key)
    if figures is None:
        orders = linked_orders(company).order_by()
        sold = (
            orders.filter(status=Order.Status.PAID, placed_at__gte=local_midnight(months[0]))
            .annotate(month=TruncMonth("placed_at"))
            .values_list("month", "currency")
            .annotate(total=Sum("total"))
        )
        grouped = orders.values_list("gallery_id").annotate(
            n=Count("*"),
            net=Coalesce(Sum("total", filter=Q(status=Order.Status.PAID)), ZERO),
            c=Max("currency"),
        )
        figures = {"sold": list(sold), **per_gallery(list(grouped))}
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def per_gallery(grouped) -> dict:
    """`sales`: gallery id → (orders, net sales as text, currency, rank), where the rank is the
    place of its net sales among the distinct amounts, highest first (ties share one), and
    `unsold`, the rank of 0 (a gallery without orders); `top`: the galleries the top 10 links come
    from, the 10 best sellers and any tied with the 10th (a gallery linked from several projects is
    several links). Plain ints and strings: every page reads them back from the cache."""
    amounts = sorted({net for _, _, net, _ in grouped} | {ZERO}, reverse=True)
    rank = {net: i for i, net in enumerate(amounts)}
    sales = {gallery: (n, str(net), currency, rank[net]) for gallery, n, net, currency in grouped}
    selling = sorted((net for _, _, net, _ in grouped if net > 0), reverse=True)
    floor = selling[min(TOP, len(selling)) - 1] if selling else None
    top = [gallery for gallery, _, net, _ in grouped if floor is not None and net >= floor]
    return {"sales": sales, "unsold": rank[ZERO], "top": top}


class Sales(NamedTuple):
    """A gallery's orders (every order placed), net sales (paid orders' totals) and currency."""

    orders: int
    net: Decimal
    currency: str | None


NO_SALES = Sales(0, ZERO, None)


def sales_of(figures, gallery_id) -> Sales:
    found = figures["sales"].get(gallery_id)
    return Sales(found[0], Decimal(found[1]), found[2]) if found else NO_SALES


def by_sales(rows, figures, descending=True):
    """Rows (`id` and `gallery_id` first) by their gallery's net sales, ties by id: the sort the
    list and the top 10 share."""
    sales, unsold, sign = figures["sales"], figures["unsold"], 1 if descending else -1
    return sorted(rows, key=lambda row: (sign * (sales[row[1]][3] if row[1] in sales else unsold), row[0]))


# The columns the tables print: plain values, no model instances (a page shows up to 70 rows).
ROW_FIELDS = (
    "id",
    "gallery_id",
    "name",
    "status",
    "is_active",
    "image_count",
    "expires_at",
    "deleted_at",
    "edit_url",
    "public_url",
    "last_synced_at",
    "reminder_status",
    "reminder_at",
    "project_id",
    "project__name",
    "project__client__name",
)


@dataclass(slots=True)
class Row:
    """One gallery in a table, with its state, its sales and the link to its project."""

    State = State  # what the templates compare `state` with
    ReadyEmail = GalleryLink.ReadyEmail  # and `reminder_status`

    id: int
    gallery_id: str
    name: str
    status: str
    is_active: bool
    image_count: int
    expires_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    edit_url: str
    public_url: str
    last_synced_at: datetime.datetime | None
    reminder_status: str
    reminder_at: datetime.datetime | None
    project_id: int
    project_name: str
    client_name: str
    state: State = State.OFFLINE
    sales: Sales = NO_SALES
    workspace_url: str = ""
    remind_url: str = ""
    expires_on: datetime.date | None = None  # local days: what the tables print
    reminder_on: datetime.date | None = None


def _url_with_id(name):
    """id → the URL `name` reverses to with that id, from one reverse() (only the id differs)."""
    head, tail = reverse(name, args=[987654321]).split("987654321")
    return lambda pk: f"{head}{pk}{tail}"


def rows_of(values, figures, now) -> list[Row]:
    workspace, remind = _url_with_id("project_workspace"), _url_with_id("galleries:remind")
    rows = []
    for value in values:
        row = Row(*value)
        if row.deleted_at:
            row.state = State.DELETED
        elif row.expires_at is not None and row.expires_at <= now:
            row.state = State.EXPIRED
        else:
            row.state = State.ONLINE if row.status == GalleryLink.Status.ONLINE else State.OFFLINE
        row.sales = sales_of(figures, row.gallery_id)
        row.workspace_url, row.remind_url = workspace(row.project_id), remind(row.id)
        row.expires_on = row.expires_at and timezone.localdate(row.expires_at)
        row.reminder_on = row.reminder_at and timezone.localdate(row.reminder_at)
        rows.append(row)
    return rows


def top_galleries(company, figures, now) -> list[Row]:
    """The 10 links with the highest net sales (those with none are left out), in that order."""
    links = GalleryLink.objects.for_company(company).filter(gallery_id__in=figures["top"])
    values = by_sales(links.values_list(*ROW_FIELDS), figures)[:TOP]
    return rows_of(values, figures, now)


def expiring_soon(company, now, figures) -> list[Row]:
    """Online galleries expiring within 30 days, soonest first (the first 10)."""
    links = GalleryLink.objects.for_company(company).filter(expiring_q(now, EXPIRING_DAYS))
    return rows_of(links.order_by("expires_at", "id").values_list(*ROW_FIELDS)[:EXPIRING_SHOWN], figures, now)


# --------------------------------------------------------------------------- the list
@dataclass
class Filters:
    status: str = ""
    within: int | None = None
    q: str = ""
    sort: str = "expiry"


def gallery_list(company, now, filters: Filters, page_number, figures):
    """The page of the list the filters ask for: (page, paginator, rows). Two queries: the count and
    the page's rows; sorted by sales, the filtered links' ids in the order of the cached figures,
    then the page's rows."""
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
    if filters.sort in ("sales", "-sales"):
        ids = by_sales(links.values_list("id", "gallery_id"), figures, filters.sort == "-sales")
        paginator = Paginator([pk for pk, _ in ids], PER_PAGE)
        page = paginator.get_page(page_number)
        found = {value[0]: value for value in links.filter(pk__in=page.object_list).values_list(*ROW_FIELDS)}
        values = [found[pk] for pk in page.object_list if pk in found]
    else:
        paginator = Paginator(links.order_by(SORTS[filters.sort][0], "id"), PER_PAGE)
        page = paginator.get_page(page_number)  # counts the links alone, without the names' joins
        values = page.object_list.values_list(*ROW_FIELDS)
    return page, paginator, rows_of(values, figures, now)


def page_context(company, filters: Filters, page_number, now=None) -> dict:
    """Everything the page shows. The figures computed from links and orders are reused while the
    page's version (one query, galleries_freshness) and the time allow; session payments are read
    fresh. Warm: two queries; cold: eight, ten when the orders are aggregated again."""
    now = now or timezone.now()
    version = freshness.page_version(company)
    context = {"connection": None, "now": now, "filters": filters, "company_currency": company.currency}
    if version.connection is None:
        return context
    query = (filters.status, filters.within, filters.q, filters.sort, page_number)
    key = freshness.page_key(company, version, now, *query)
    computed = cache.get(key)
    if computed is None or not computed["since"] <= now < computed["until"]:
        computed = _computed(company, now, filters, page_number, version)
        seconds = min(freshness.CACHE_SECONDS, (computed["until"] - now).total_seconds())
        cache.set(key, computed, max(1, int(seconds)))
    result = revenue(company, now, computed["sold"])
    context.update(
        computed,
        revenue=result,
        sales_this_month=result.this_month(),
        sales_last_12_months=result.last_12_months(),
        expiring_days=EXPIRING_DAYS,
    )
    return context


def _computed(company, now, filters: Filters, page_number, version) -> dict:
    """What page_context keeps: plain values (the page as its numbers, not the paginated query)."""
    # Only what the page reads of it (not its tokens or settings).
    connection = Connection.objects.for_company(company).only("id", "integration__status").first()
    horizons = (0, EXPIRING_DAYS, *([filters.within] if filters.within else []))
    counts = summary(company, now, horizons)
    figures = order_figures(company, now, version)
    page, paginator, rows = gallery_list(company, now, filters, page_number, figures)
    paginator = Paginator(range(paginator.count), PER_PAGE)
    return {
        "connection": connection,
        "summary": counts,
        "sold": figures["sold"],
        "top": top_galleries(company, figures, now),
        "expiring": expiring_soon(company, now, figures),
        "page": paginator.page(page.number),
        "paginator": paginator,
        "rows": rows,
        "since": now,  # valid from here (the version was read first) until the next expiry instant
        "until": freshness.valid_until(now, counts["next"], horizons),
    }
