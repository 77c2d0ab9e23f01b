"""The Pic-Time Galleries panel of the project workspace ("Only visible to you").

Rendering the panel reads the CRM's own rows only (``pictime.services.panel``), in a fixed number
of queries however many galleries are linked: no call to Pic-Time while a page renders. Pic-Time
is called only behind a click (add, search, connect, create, sync), through
``pictime.services.galleries``.

With htmx each action answers the panel's new HTML, swapped in place (always 200: htmx does not
swap error statuses; the message is in the panel). Without htmx, GETs answer a page holding the
panel and POSTs redirect back to the workspace with a message.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.companies.access import member_required
from crm.projects.models import Project
from pictime.errors import NotConnected, PicTimeError
from pictime.forms import NewGalleryForm
from pictime.models import Connection, GalleryLink
from pictime.services import galleries
from pictime.services.galleries import DuplicateGallery, GalleryActionError
from pictime.services.live import live_context
from pictime.services.panel import panel_context

PANEL_TEMPLATE = "pictime/panel.html"


def _project(request, project_pk):
    return get_object_or_404(
        Project.objects.for_company(request.company).select_related("client", "company"), pk=project_pk
    )


def _link(request, project, link_pk):
    return get_object_or_404(
        GalleryLink.objects.for_company(request.company).select_related("connection__integration"),
        pk=link_pk,
        project=project,
    )


def _render(request, project, status=200, **extra):
    """The panel with `extra` (mode, form, notice, error …): in place for htmx, else in a page."""
    context = {**panel_context(project), **extra}
    if request.htmx:
        return HttpResponse(render_to_string(PANEL_TEMPLATE, context, request))
    return render(request, "pictime/panel_page.html", context, status=status)


def _done(request, project, *, notice="", error=""):
    """After a POST: the panel in place (htmx), or back to the workspace with a message."""
    if request.htmx:
        # The panel and Photo sales with the version they now show, so the workspace's poll
        # doesn't replace the message at once (Sync may have brought new orders too).
        context = {**live_context(project), "notice": notice, "error": error}
        response = render(request, "pictime/live.html", context)
        response["HX-Retarget"], response["HX-Reswap"] = "#pictime-live", "outerHTML"
        return response
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(project)


@member_required
@require_GET
def panel(request, project_pk):
    project = _project(request, project_pk)
    if not request.htmx:
        return redirect(project)
    return _render(request, project)


@member_required
@require_GET
def add(request, project_pk):
    """The + (Add gallery): create a new gallery, or select an existing one."""
    project = _project(request, project_pk)
    try:
        Connection.objects.connected(request.company)
    except NotConnected as error:
        return _render(request, project, error=error.user_message)
    return _render(request, project, mode="choose")


@member_required
@require_GET
def existing(request, project_pk):
    """The account's galleries, searched by name and paged with Pic-Time's cursors."""
    project = _project(request, project_pk)
    q = request.GET.get("q", "").strip()[:200]
    cursor = request.GET.get("cursor", "").strip()[:2000] or None
    try:
        connection = Connection.objects.connected(request.company)
        page = galleries.list_account_galleries(connection, q=q, cursor=cursor)
    except (PicTimeError, GalleryActionError) as error:
        return _render(request, project, mode="existing", q=q, error=error.user_message, page=None)
    return _render(request, project, mode="existing", q=q, page=page, paged=bool(cursor))


@member_required
@require_POST
def connect(request, project_pk):
    """Connect gallery: links an existing gallery of the connected account."""
    project = _project(request, project_pk)
    try:
        connection = Connection.objects.connected(request.company)
        link = galleries.link_existing(project, connection, request.POST.get("gallery_id", ""), request.user)
    except (PicTimeError, GalleryActionError) as error:
        return _done(request, project, error=error.user_message)
    return _done(request, project, notice=f"“{link.name}” is now linked to this project.")


@member_required
@require_http_methods(["GET", "POST"])
def new(request, project_pk):
    """Create a new Pic-Time gallery, prefilled from the project; warns about a likely duplicate."""
    project = _project(request, project_pk)
    try:
        connection = Connection.objects.connected(request.company)
    except NotConnected as error:
        if request.method == "POST":
            return _done(request, project, error=error.user_message)
        return _render(request, project, error=error.user_message)
    if request.method == "GET":
        form = NewGalleryForm(initial=NewGalleryForm.initial_for(project, connection), connection=connection)
        return _render(request, project, mode="create", form=form)

    form = NewGalleryForm(request.POST, connection=connection)
    if not form.is_valid():
        return _render(request, project, status=400, mode="create", form=form)
    try:
        link = galleries.create_and_link(
            project,
            connection,
            form.gallery_data(),
            form.cleaned_data["idempotency_key"],
            request.user,
            refuse_duplicates=not form.cleaned_data.get("create_anyway"),
        )
    except DuplicateGallery as duplicate:
        again = NewGalleryForm({**request.POST.dict(), "create_anyway": "on"}, connection=connection)
        again.is_valid()
        return _render(request, project, mode="create", form=again, duplicates=duplicate.galleries)
    except PicTimeError as error:
        if hasattr(error, "field_messages"):
            form.add_remote_errors(error.field_messages())
        return _render(request, project, status=400, mode="create", form=form, error=error.user_message)
    except GalleryActionError as error:
        return _render(request, project, status=400, mode="create", form=form, error=error.user_message)
    return _done(
        request, project, notice=f"“{link.name}” was created in Pic-Time and linked to this project."
    )


@member_required
@require_POST
def sync(request, project_pk, link_pk):
    """Sync: refreshes the gallery's status, image count and expiry from Pic-Time now."""
    project = _project(request, project_pk)
    link = _link(request, project, link_pk)
    try:
        link = galleries.sync_link(link)
    except (PicTimeError, GalleryActionError) as error:
        return _done(request, project, error=error.user_message)
    if link.is_deleted:
        return _done(request, project, error=f"“{link.name}” was deleted in Pic-Time.")
    return _done(request, project, notice=f"“{link.name}” is up to date.")


@member_required
@require_POST
def unlink(request, project_pk, link_pk):
    """Unlink: removes the gallery from the project; nothing is deleted at Pic-Time."""
    project = _project(request, project_pk)
    link = _link(request, project, link_pk)
    name = link.name
    galleries.unlink(link, request.user)
    return _done(
        request, project, notice=f"“{name}” was unlinked from this project. It is still in Pic-Time."
    )
