"""The photographer's gallery actions in a project's Pic-Time Galleries panel, one function each.

Every function here calls Pic-Time (through ``client_for``) only because the photographer clicked
something; rendering the panel reads the CRM's rows only (``pictime.views.panel.panel_context``).

Failures reach the caller as exceptions with a ``user_message`` a photographer can read:
``pictime.errors.PicTimeError`` (Pic-Time said no, or could not be reached) or ``GalleryActionError``
(the CRM refuses: not connected, already linked, another account's gallery …).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project
from pictime.errors import NotFound, PicTimeError
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.schemas import Gallery, GalleryCreate, Page
from pictime.services.common import apply_gallery, client_for, mark_deleted, new_link

log = logging.getLogger(__name__)

PAGE_SIZE = 10
# find_duplicates reads at most this many pages of `q=<email>` results (100 galleries a page).
DUPLICATE_SEARCH_PAGES = 3


class GalleryActionError(Exception):
    """The CRM refuses a gallery action; ``user_message`` says why, in words."""

    def __init__(self, user_message: str, *, code: str = "refused"):
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code


class NotConnected(GalleryActionError):
    def __init__(self, connection: Connection | None):
        if connection is not None and connection.needs_reconnection:
            message = "Pic-Time needs to be reconnected before you can add or sync galleries."
        else:
            message = "Pic-Time is not connected. Connect it in Company Settings > Integrations."
        super().__init__(message, code="not_connected")


class AlreadyLinked(GalleryActionError):
    def __init__(self, link: GalleryLink | None = None):
        name = f"“{link.name}” " if link is not None and link.name else "This gallery "
        super().__init__(f"{name}is already linked to this project.", code="already_linked")


class NotInAccount(GalleryActionError):
    def __init__(self):
        super().__init__(
            "That gallery isn't in your connected Pic-Time account, so it can't be linked.",
            code="not_in_account",
        )


class LinkInactive(GalleryActionError):
    def __init__(self):
        super().__init__(
            "This gallery belongs to a Pic-Time account that isn't connected now, so it can't be synced.",
            code="inactive",
        )


@dataclass(frozen=True)
class GalleryData:
    """What the photographer filled in the "Create a new Pic-Time gallery" form."""

    name: str
    event_date: date | None = None
    client_name: str = ""
    client_email: str = ""
    brand_id: str = ""
    preset_id: str = ""
    slug: str = ""

    def to_create(self, project: Project) -> GalleryCreate:
        return GalleryCreate(
            name=self.name,
            event_date=self.event_date,
            client_name=self.client_name or None,
            client_email=(self.client_email or None) if self.client_name else None,
            brand_id=self.brand_id or None,
            preset_id=self.preset_id or None,
            slug=self.slug or None,
            external_ref=f"crm-project-{project.pk}",
        )


def require_connected(connection: Connection | None) -> Connection:
    if connection is None or not connection.is_connected:
        raise NotConnected(connection)
    return connection


# --------------------------------------------------------------------------- reading Pic-Time
def list_account_galleries(connection: Connection, q: str = "", cursor: str | None = None) -> Page[Gallery]:
    """One page of the account's galleries, searched by ``q`` (name, client name or email).
    The next page needs only the cursor: Pic-Time's cursor carries the search."""
    client = client_for(require_connected(connection))
    if cursor:
        return client.list_galleries(cursor=cursor, limit=PAGE_SIZE)
    return client.list_galleries(q=q.strip() or None, limit=PAGE_SIZE)


def find_duplicates(connection: Connection, email: str, event_date: date | None) -> list[Gallery]:
    """Galleries of the account for the same client email and event date (the most common
    duplicate). Without an email or a date there is nothing to compare and no request is made."""
    email = (email or "").strip().lower()
    if not email or event_date is None:
        return []
    client = client_for(require_connected(connection))
    found: list[Gallery] = []
    page = client.list_galleries(q=email, limit=100)
    for pages_read in range(1, DUPLICATE_SEARCH_PAGES + 1):
        found += [
            g
            for g in page.data
            if g.client and (g.client.email or "").lower() == email and g.event_date == event_date
        ]
        if not page.next_cursor or pages_read == DUPLICATE_SEARCH_PAGES:
            break
        page = client.list_galleries(cursor=page.next_cursor, limit=100)
    return found


def linked_gallery_ids(project: Project) -> set[str]:
    return set(GalleryLink.objects.filter(project=project).values_list("gallery_id", flat=True))


# --------------------------------------------------------------------------- linking
def _store_link(project, connection, gallery, *, origin, user) -> GalleryLink:
    """Creates the link once per (project, gallery); raises AlreadyLinked if it exists (the unique
    constraint decides when two requests race)."""
    created_by = user if user is not None and user.is_authenticated else None
    link = new_link(project, connection, gallery, origin=origin, created_by=created_by)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        existing = GalleryLink.objects.filter(project=project, gallery_id=gallery.id).first()
        raise AlreadyLinked(existing) from None
    return link


def link_existing(project: Project, connection: Connection, gallery_id: str, user=None) -> GalleryLink:
    """Links a gallery of the connected account to the project, after Pic-Time confirms (with the
    company's token) that the gallery is that account's: another account's id is a 404 there."""
    require_connected(connection)
    gallery_id = (gallery_id or "").strip()
    if not gallery_id or len(gallery_id) > 100:
        raise NotInAccount()
    existing = GalleryLink.objects.filter(project=project, gallery_id=gallery_id).first()
    if existing is not None:
        raise AlreadyLinked(existing)
    try:
        gallery = client_for(connection).get_gallery(gallery_id)
    except NotFound:
        raise NotInAccount() from None
    link = _store_link(project, connection, gallery, origin=GalleryLink.Origin.LINKED, user=user)
    log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{link.name}” linked.")
    return link


def create_and_link(
    project: Project, connection: Connection, data: GalleryData, idempotency_key: str, user=None
) -> GalleryLink:
    """Creates the gallery in Pic-Time and links it. ``idempotency_key`` comes from the form (one
    per form shown), so a double submit gets Pic-Time's first answer back and no second gallery;
    the second request then finds the link already there and returns it."""
    require_connected(connection)
    gallery = client_for(connection).create_gallery(data.to_create(project), idempotency_key=idempotency_key)
    try:
        link = _store_link(project, connection, gallery, origin=GalleryLink.Origin.CREATED, user=user)
    except AlreadyLinked:
        return GalleryLink.objects.get(
            project=project, gallery_id=gallery.id
        )  # the same submission, replayed
    log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{link.name}” created and linked.")
    return link


def unlink(link: GalleryLink, user=None) -> None:
    """Removes the link from the project. Nothing is deleted at Pic-Time (no call is made)."""
    project, name = link.project, link.name
    link.delete()
    log_activity(
        project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{name}” unlinked (kept in Pic-Time)."
    )


# --------------------------------------------------------------------------- syncing
def sync_link(link: GalleryLink) -> GalleryLink:
    """Refreshes one link from Pic-Time now (the Sync button). A gallery Pic-Time no longer has is
    marked deleted, not dropped. A failure leaves the link as it was and is recorded on a SyncRun."""
    connection = require_connected(link.connection)
    if not link.is_active or link.account_id != connection.account_id:
        raise LinkInactive()
    run = SyncRun.objects.create(
        company_id=link.company_id,
        connection=connection,
        project_id=link.project_id,
        trigger=SyncRun.Trigger.MANUAL,
        galleries_checked=1,
    )
    client = None
    try:
        client = client_for(connection)
        try:
            gallery = client.get_gallery(link.gallery_id)
        except NotFound:
            mark_deleted(link)
            updated = True
        else:
            with transaction.atomic():  # what apply_gallery queues after commit sees the saved link
                updated = apply_gallery(link, gallery, save=False)
                link.last_synced_at = timezone.now()
                link.last_sync_error = ""
                link.save()
    except PicTimeError as error:
        _finish(run, client, status=SyncRun.Status.FAILED, error=str(error))
        raise
    _finish(run, client, status=SyncRun.Status.SUCCEEDED, updated=int(updated))
    return link


def _finish(run, client, *, status, updated=0, error=""):
    run.status = status
    run.finished_at = timezone.now()
    run.galleries_updated = updated
    run.requests_made = client.requests_made if client is not None else 0
    run.error = error[:1000]
    run.save(update_fields=["status", "finished_at", "galleries_updated", "requests_made", "error"])
