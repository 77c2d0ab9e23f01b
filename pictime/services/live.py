"""What lets an open workspace's Pic-Time Galleries panel and Photo sales update themselves: a
version of what they show, from one small query, so a poll that finds nothing new costs little.

The version changes when a link is added, removed, synced (by a webhook, the periodic sync, the
Sync button: each sets ``last_synced_at``) or its email moves on; when an order of a linked gallery
is stored or changes; when the project's auto-create job moves on; when the connection's status
changes.
"""

import hashlib

from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value

from crm.projects.models import Project
from integrations.models import CompanyIntegration
from pictime.models import AutoCreateJob, GalleryLink, Order


def _one(queryset, **aggregate):
    """A scalar subquery: the aggregate over `queryset` (grouped by a constant, so one row)."""
    (name,) = aggregate
    grouped = queryset.order_by().annotate(one=Value(1, IntegerField())).values("one")
    return Subquery(grouped.annotate(**aggregate).values(name)[:1])


def project_version(company, project_id) -> str | None:
    """The version of the project's panel and sales (None: no such project in the company)."""
    links = GalleryLink.objects.filter(project_id=OuterRef("pk"))
    orders = Order.objects.filter(
        company_id=OuterRef("company_id"),
        gallery_id__in=GalleryLink.objects.filter(project_id=OuterRef(OuterRef("pk"))).values("gallery_id"),
    )
    job = AutoCreateJob.objects.filter(project_id=OuterRef("pk"))
    integration = CompanyIntegration.objects.filter(company_id=OuterRef("company_id"), provider="pictime")
    parts = {
        "links": _one(links, n=Count("id")),
        "last_link": _one(links, n=Max("id")),
        "synced": _one(links, n=Max("last_synced_at")),
        "email": _one(links, n=Max("ready_email_at")),
        "orders": _one(orders, n=Count("id")),
        "orders_changed": _one(orders, n=Max("remote_updated_at")),
        "job": Subquery(job.values("updated_at")[:1]),
        "connection": Subquery(integration.values("status")[:1]),
    }
    row = (
        Project.objects.for_company(company)
        .filter(pk=project_id)
        .annotate(**parts)
        .values_list(*parts)
        .first()
    )
    if row is None:
        return None
    return hashlib.blake2s(repr(row).encode(), digest_size=8).hexdigest()


def live_context(project) -> dict:
    """Everything the panel and Photo sales show, with the version they show."""
    from pictime.services.panel import panel_context
    from pictime.services.sales import sales_context

    context = panel_context(project)
    return {
        **context,
        "sales": sales_context(project, context["links"]) if context["links"] else None,
        "version": project_version(project.company, project.pk),
    }
