"""When the Galleries page's computed figures may be reused: the one query of its version, the key
and how long an entry holds.

What the page shows is made of the company's links (what the Pic-Time services change stamp their
projects' `integrations_changed_at` after writing it: links, orders, reminders, the connection's
status), the
links' and orders' own rows (count and newest, so a row written or deleted outside the services
still moves the key), project and client names (`updated_at`), the connection, and the time: a
gallery expires or enters a "within N days" window at known instants, so an entry holds until the
next of them (valid_until) and the key carries the local date and time zone. Session payments are
not cached (one grouped query, read fresh by the page)."""

import datetime
import hashlib
from typing import NamedTuple

from django.db.models import Count, FloatField, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Extract
from django.utils import timezone

from crm.clients.models import Client
from crm.companies.models import Company
from crm.projects.models import Project
from pictime.models import Connection, GalleryLink, Order

CACHE_SECONDS = 600  # a backstop: the key changes with everything the page shows


class Version(NamedTuple):
    connection_id: int | None
    connection_status: str | None
    projects_changed: float | None  # integrations_changed_at
    projects_updated: float | None  # updated_at: project names
    projects: int | None
    clients_updated: float | None  # client names
    clients: int | None
    links: int | None
    newest_link: int | None
    newest_order: int | None
    orders_updated: datetime.datetime | None  # a refund moves an order's remote_updated_at


def _stamps(field):
    """The sum of a column of stamps (seconds): unlike their Max, it moves whenever any row's stamp
    moves forward, even when another row's later stamp committed first."""
    return Sum(Extract(field, "epoch", tzinfo=datetime.UTC, output_field=FloatField()))


def _of(queryset, aggregate):
    """One aggregate over the company's rows of `queryset`, as a subquery of the company's row."""
    rows = queryset.filter(company=OuterRef("pk")).order_by().values("company")
    return Subquery(rows.annotate(value=aggregate).values("value"))


def page_version(company) -> Version:
    """Everything the page's cached figures depend on, but the time: one query."""
    parts = {
        "connection_id": _of(Connection.objects, Max("id")),
        "connection_status": Subquery(
            Connection.objects.filter(company=OuterRef("pk")).values("integration__status")[:1]
        ),
        "projects_changed": _of(Project.objects, _stamps("integrations_changed_at")),
        "projects_updated": _of(Project.objects, _stamps("updated_at")),
        "projects": _of(Project.objects, Count("id")),
        "clients_updated": _of(Client.objects, _stamps("updated_at")),
        "clients": _of(Client.objects, Count("id")),
        "links": _of(GalleryLink.objects, Count("id")),
        "newest_link": _of(GalleryLink.objects, Max("id")),
        "newest_order": _of(Order.objects, Max("id")),
        "orders_updated": _of(Order.objects, Max("remote_updated_at")),
    }
    named = {f"version_{name}": part for name, part in parts.items()}  # not the company's relations
    row = Company.objects.filter(pk=company.pk).annotate(**named).values_list(*named).get()
    return Version(*row)


def page_key(company, version: Version, now, *query) -> str:
    """The cache key of one view of the page: the version, the company's settings, the local date
    and time zone, and the query (filters, sort, page), hashed as the search text is free text."""
    parts = (
        company.pk,
        company.currency,
        company.locale,
        timezone.get_current_timezone_name(),
        timezone.localdate(now),
        *version,
        *query,
    )
    return "galleries-page:4:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def valid_until(now, next_expiries, horizons) -> datetime.datetime:
    """The first instant the figures computed at `now` may be wrong: the next local midnight (the
    months, "days left"), or the next moment a gallery expires or enters a window of
    `horizons` days (Expiring soon, the summary, the list's "within N days").
    `next_expiries[days]`: the soonest expiry after now + days, or None."""
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    instants = [timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))]
    for days in horizons:
        if next_expiries.get(days) is not None:
            instants.append(next_expiries[days] - datetime.timedelta(days=days))
    return min(instants)
