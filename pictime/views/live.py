"""The open workspace's poll: answers 204 while nothing the panel or Photo sales show has changed,
else both, to be swapped in place.

A workspace polls when the live process's stream tells it of a change (pictime.views.events), or
every second while it has no stream. A poll that finds nothing new costs one small query: its URL
carries a signed ticket for (company, project), issued by the workspace to a logged-in member, and
no session, user or membership is read to answer 204; all a ticket tells its holder is "changed or
not". What changed is only shown after the full check of the session and the membership
(``member_required``), as on every page.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.companies.access import member_required
from crm.ops.access_log import keep_out_of_access_log
from crm.projects.models import Project
from pictime.services.live import live_context, project_version, read_ticket

LIVE_TEMPLATE = "pictime/live.html"


def unchanged(request, project_pk) -> bool:
    """Whether the poll's ticket is valid for the project and its version is the current one."""
    held = read_ticket(request.GET.get("t", ""))  # none or forged: the full check decides
    return bool(held and held[1] == project_pk and request.GET.get("v") == project_version(*held))


@require_GET
def live(request, project_pk):
    if unchanged(request, project_pk):
        keep_out_of_access_log(request)  # open tabs polling would write a line each saying nothing
        return HttpResponse(status=204)
    return _changed(request, project_pk)


@member_required
def _changed(request, project_pk):
    project = get_object_or_404(
        Project.objects.for_company(request.company).select_related("client", "company"), pk=project_pk
    )
    context = live_context(project)
    if context["version"] is None:
        raise Http404("No such project.")
    return render(request, LIVE_TEMPLATE, context)
