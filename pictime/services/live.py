"""What lets an open workspace's Pic-Time Galleries panel and Photo sales update themselves: a
version of what they show, from one small query, so a poll that finds nothing new costs little.

The version changes when a link is added, removed, synced (by a webhook, the periodic sync, the
Sync button) or its email moves on; when an order of a linked gallery is stored or changes; when the
project's auto-create job moves on; when the connection's status changes, or a worker starts or stops
asking again for a token refresh ("not answering, retrying"). Each of these writers sets a stamp.
"""

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from crm.projects.models import Project

# Built once (a queryset is lazy; each poll filters a copy): the ORM's work is most of a poll's cost.
# No ORDER BY: the model's ordering would compile one for a single row.
_STAMPS = Project.objects.order_by().values_list("integrations_changed_at", flat=True)


def project_version(company, project_id) -> str | None:
    """The version of the project's panel and sales (None: no such project in the company).
    `company`: the company or its id.

    One query, by the project's primary key: ``Project.integrations_changed_at``, which the services
    set where they change what the panel shows (pictime.models.touch_projects, touch_company). A join
    to the job or the connection would cost a poll more than the rare writes that touch the project.
    """
    stamp = list(_STAMPS.filter(pk=project_id, company_id=getattr(company, "pk", company)))
    return _version(stamp[0]) if stamp else None


def project_versions(projects) -> dict[tuple[int, int], str]:
    """The versions of many projects in one query: {(company id, project id): version} for the
    (company id, project id) pairs given that exist. The live process asks this once a tick for every
    open workspace it streams to (pictime.services.live_watch)."""
    projects = set(projects)
    rows = Project.objects.order_by().filter(pk__in={pk for _, pk in projects})
    return {
        (company_id, pk): _version(stamp)
        for pk, company_id, stamp in rows.values_list("pk", "company_id", "integrations_changed_at")
        if (company_id, pk) in projects
    }


def _version(stamp) -> str:
    return hashlib.blake2s(repr(stamp).encode(), digest_size=8).hexdigest()


def live_context(project) -> dict:
    """Everything the panel and Photo sales show, with the version they show."""
    from pictime.services.panel import panel_context
    from pictime.services.sales import sales_context

    # Read before what it versions: a write committed in between shows at the next poll.
    version = project_version(project.company_id, project.pk)
    context = panel_context(project)
    held = ticket(project)
    return {
        **context,
        "ticket": held,
        "events_url": events_url(project, held, version),
        "sales": sales_context(project, context["links"]) if context["links"] else None,
        "version": version,
    }


def events_url(project, held_ticket: str, version: str | None) -> str:
    """Where the workspace's event stream comes from (pictime.views.events): the live process.
    Empty without one: the workspace then polls every second."""
    if not settings.LIVE_URL:
        return ""
    path = reverse("pictime:panel_events", args=[project.pk])
    return f"{settings.LIVE_URL}{path}?{urlencode({'t': held_ticket, 'v': version or ''})}"


# The poll's ticket: (company, project) signed for the workspace that polls, so a poll that finds
# nothing new needs no session, user or membership (see pictime.views.live).
TICKET_SALT = "pictime.live"
TICKET_MAX_AGE = 24 * 3600  # a workspace left open for a day reloads to keep polling


def ticket(project) -> str:
    return signing.dumps([project.company_id, project.pk], salt=TICKET_SALT, compress=False)


def read_ticket(value: str) -> tuple[int, int] | None:
    """(company id, project id) of a valid ticket, else None."""
    try:
        company_id, project_id = signing.loads(value, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return company_id, project_id
