"""What the Pic-Time Galleries panel of a project's workspace reads: the CRM's own rows only, no
call to Pic-Time (that happens behind a click, through ``pictime.services.galleries``)."""

from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.models import Connection, GalleryLink, Order
from pictime.services.autocreate import autocreate_job_for


def connection_status(company) -> tuple[str | None, object]:
    """The status of the company's connection (None when it has none) and until when a lost refresh
    is asked again (``Connection.refresh_retry_until``), without loading its tokens."""
    found = (
        Connection.objects.for_company(company)
        .values_list("integration__status", "refresh_retry_until")
        .first()
    )
    return found or (None, None)


def project_links(project) -> list[GalleryLink]:
    """The project's links, oldest first, each with the status of its connection (the company's
    one) and `has_sales`: whether its gallery has photo sales (the sales table needs no query when
    none has)."""
    sales = Order.objects.filter(company_id=OuterRef("company_id"), gallery_id=OuterRef("gallery_id"))
    return list(
        GalleryLink.objects.for_company(project.company)
        .filter(project=project)
        .annotate(
            connection_status=F("connection__integration__status"),
            connection_retry_until=F("connection__refresh_retry_until"),
            has_sales=Exists(sales),
        )
        .order_by("created_at", "id")
    )


def panel_context(project) -> dict:
    """The panel's rows and the connection's status, in a fixed number of queries."""
    links = project_links(project)
    # A company has one connection and its links cascade with it: a link's status is the company's.
    if links:
        status, retry_until = links[0].connection_status, links[0].connection_retry_until
    else:
        status, retry_until = connection_status(project.company)
    connected = status == CompanyIntegration.Status.CONNECTED
    return {
        "project": project,
        "connected": connected,
        # A token refresh's answers were lost; a worker asks again (pictime.tokens): not "reconnect".
        "refresh_retrying": connected and bool(retry_until and retry_until > timezone.now()),
        "needs_reconnection": status == CompanyIntegration.Status.NEEDS_RECONNECTION,
        "links": links,
        "linked_ids": {link.gallery_id for link in links},
        # Only a project that has been paid can have an auto-create job: skip the query otherwise.
        "autocreate_job": autocreate_job_for(project) if project.first_paid_at else None,
    }
