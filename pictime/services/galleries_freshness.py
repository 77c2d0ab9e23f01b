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

from django.db.models import CharField, F, FloatField, Func, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from crm.companies.models import Company
from crm.projects.models import Project
from pictime.models import Connection, GalleryLink, Order

CACHE_SECONDS = 600  # a backstop: the key changes with everything the page shows


class Version(NamedTuple):
    connection: str | None  # "id:status"; None without a connection
    projects: str  # their Pic-Time stamps, names (updated_at), their clients' names, how many
    links: str  # how many, the newest
    orders: str  # the newest, the newest change (a refund moves an order's remote_updated_at)


class _Stamps(Func):
    """The sum of a column of stamps (seconds): unlike their Max, it moves whenever any row's stamp
    moves forward, even when another row's later stamp committed first. (Django has no epoch
    transform; each backend spells it, as Django's own functions do with as_<vendor>.)"""

    template = "SUM(EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):  # `make run`'s embedded database
        return self.as_sql(
            compiler, connection, template="SUM(julianday(%(expressions)s) * 86400.0)", **extra_context
        )


def _stamps(field):
    return _Stamps(F(field))


def _sql(function, field):
    """An SQL aggregate as a plain function, so that the subquery has no GROUP BY (PostgreSQL then
    answers MAX(id) from an index rather than grouping every order of the company)."""
    return Func(F(field), function=function)


def _of(queryset, *parts):
    """The company's rows of `queryset` as one text value "a:b:…" (a subquery gives one column;
    one subquery per table keeps the ORM's work per view small)."""
    separated = [item for part in parts for item in (Value(":"), Cast(part, CharField()))][1:]
    text = Concat(*separated, output_field=CharField())
    return Subquery(queryset.filter(company=OuterRef("pk")).order_by().values(value=text))


# Built once (a queryset is lazy): each view only adds its company and compiles it.
_PARTS = {
    "version_connection": _of(Connection.objects, F("id"), F("integration__status")),
    "version_projects": _of(
        Project.objects,
        _stamps("integrations_changed_at"),
        _stamps("updated_at"),
        _stamps("client__updated_at"),  # a client can't be deleted while it has projects
        _sql("COUNT", "id"),
    ),
    "version_links": _of(GalleryLink.objects, _sql("COUNT", "id"), _sql("MAX", "id")),
    "version_orders": _of(Order.objects, _sql("MAX", "id"), _sql("MAX", "remote_updated_at")),
}
_VERSIONS = Company.objects.annotate(**_PARTS).values_list(*_PARTS)  # (names: not its relations)


def page_version(company) -> Version:
    """Everything the page's kept figures depend on but the time and the company's settings: one
    query of four subqueries."""
    return Version(*_VERSIONS.filter(pk=company.pk).get())


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
