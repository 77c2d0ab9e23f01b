"""The photographer's gallery actions in a project's Pic-Time Galleries panel, one function each.

Every function here calls Pic-Time (through ``Connection.api``) only because the photographer clicked
something; rendering the panel reads the CRM's rows only.

Failures reach the caller as exceptions with a ``user_message`` a photographer can read:
``pictime.errors.PicTimeError`` (Pic-Time said no or could not be reached, or ``NotConnected``) or
``GalleryActionError`` (the CRM refuses: already linked, another account's gallery …).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project
from pictime.errors import NotFound
from pictime.models import Connection, GalleryLink, SyncRun, touch_projects
from pictime.schemas import Gallery, GalleryCreate, Page
from pictime.services.sync import fetch_earlier_orders_or_later, sync_links

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


class AlreadyLinked(GalleryActionError):
    def __init__(self, link: GalleryLink | None = None):
        name = f"“{link.name}” " if link is not None and link.name else "This gallery "
        super().__init__(f"{name}is already linked to this project.", code="already_linked")


class DuplicateGallery(GalleryActionError):
    """The account has galleries for the same client email and event date (``galleries``)."""

    def __init__(self, galleries: list[Gallery]):
        super().__init__("This client already has a Pic-Time gallery for this event date.", code="duplicate")
        self.galleries = galleries


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
        """The create request of the project's gallery, for the panel's create and for auto-create
        alike. Pic-Time takes a client's email only with a client name."""
        return GalleryCreate(
            name=self.name[:200],
            event_date=self.event_date,
            client_name=self.client_name or None,
            client_email=(self.client_email or None) if self.client_name else None,
            brand_id=self.brand_id or None,
            preset_id=self.preset_id or None,
            slug=self.slug or None,
            external_ref=external_ref(project.pk),
        )


def external_ref(project_id: int) -> str:
    """What a gallery made from the CRM carries to name its project (auto-create finds it by this)."""
    return f"crm-project-{project_id}"


# --------------------------------------------------------------------------- reading Pic-Time
def list_account_galleries(connection: Connection, q: str = "", cursor: str | None = None) -> Page[Gallery]:
    """One page of the account's galleries, searched by ``q`` (name, client name or email).
    The next page needs only the cursor: Pic-Time's cursor carries the search."""
    api = connection.api()
    if cursor:
        return api.list_galleries(cursor=cursor, limit=PAGE_SIZE)
    return api.list_galleries(q=q.strip() or None, limit=PAGE_SIZE)


def find_duplicates(connection: Connection, email: str, event_date: date | None) -> list[Gallery]:
    """Galleries of the account for the same client email and event date (the most common
    duplicate). Without an email or a date there is nothing to compare and no request is made."""
    email = (email or "").strip().lower()
    if not email or event_date is None:
        return []
    found = connection.api().iter_galleries(q=email, limit=100, max_pages=DUPLICATE_SEARCH_PAGES)
    return [
        g
        for g in found
        if g.client and (g.client.email or "").lower() == email and g.event_date == event_date
    ]


# --------------------------------------------------------------------------- linking
def _store_link(project, connection, gallery, *, origin, user) -> GalleryLink:
    """Creates the link once per (project, gallery); raises AlreadyLinked if it exists (the unique
    constraint decides when two requests race)."""
    created_by = user if user is not None and user.is_authenticated else None
    link = GalleryLink.to_gallery(project, connection, gallery, origin=origin, created_by=created_by)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        existing = GalleryLink.objects.filter(project=project, gallery_id=gallery.id).first()
        raise AlreadyLinked(existing) from None
    GalleryLink.objects.filter(pk=link.pk).touch_projects()
    return link


def link_existing(project: Project, connection: Connection, gallery_id: str, user=None) -> GalleryLink:
    """Links a gallery of the connected account to the project, after Pic-Time confirms (with the
    company's token) that the gallery is that account's: another account's id is a 404 there."""
    Connection.require(connection)
    gallery_id = (gallery_id or "").strip()
    if not gallery_id or len(gallery_id) > 100:
        raise NotInAccount()
    existing = GalleryLink.objects.filter(project=project, gallery_id=gallery_id).first()
    if existing is not None:
        raise AlreadyLinked(existing)
    try:
        gallery = connection.api().get_gallery(gallery_id)
    except NotFound:
        raise NotInAccount() from None
    link = _store_link(project, connection, gallery, origin=GalleryLink.Origin.LINKED, user=user)
    log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{link.name}” linked.")
    fetch_earlier_orders_or_later(link)
    return link


def create_and_link(
    project: Project,
    connection: Connection,
    data: GalleryData,
    idempotency_key: str,
    user=None,
    *,
    refuse_duplicates: bool = False,
) -> GalleryLink:
    """Creates the gallery in Pic-Time and links it. ``idempotency_key`` comes from the form (one
    per form shown), so a double submit gets Pic-Time's first answer back and no second gallery;
    the second request then finds the link already there and returns it. ``refuse_duplicates``
    (a person who has not confirmed yet): DuplicateGallery, and nothing created, when the account
    has a gallery for the same client email and event date."""
    Connection.require(connection)
    if refuse_duplicates and (duplicates := find_duplicates(connection, data.client_email, data.event_date)):
        raise DuplicateGallery(duplicates)
    gallery = connection.api().create_gallery(data.to_create(project), idempotency_key=idempotency_key)
    try:
        link = _store_link(project, connection, gallery, origin=GalleryLink.Origin.CREATED, user=user)
    except AlreadyLinked:
        return GalleryLink.objects.get(
            project=project, gallery_id=gallery.id
        )  # the same submission, replayed
    log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{link.name}” created and linked.")
    fetch_earlier_orders_or_later(link)
    return link


def unlink(link: GalleryLink, user=None) -> None:
    """Removes the link from the project. Nothing is deleted at Pic-Time (no call is made)."""
    project, name = link.project, link.name
    link.delete()
    touch_projects([project.pk])
    log_activity(
        project, Activity.Kind.INTEGRATION, f"Pic-Time gallery “{name}” unlinked (kept in Pic-Time)."
    )


# --------------------------------------------------------------------------- syncing
def sync_link(link: GalleryLink) -> GalleryLink:
    """Refreshes one link and its gallery's orders from Pic-Time now (the Sync button). A gallery
    Pic-Time no longer has is marked deleted, not dropped. A failure is recorded on the SyncRun and
    raised; the link keeps its figures."""
    connection = Connection.require(link.connection)
    if not link.is_active or link.account_id != connection.account_id:
        raise LinkInactive()
    sync_links(connection, [link], SyncRun.Trigger.MANUAL, project=link.project, raise_errors=True)
    link.refresh_from_db()
    return link
