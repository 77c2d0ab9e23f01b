"""The open workspace's poll: answers 204 while nothing the panel or Photo sales show has changed,
else both, to be swapped in place.

A poll that finds nothing new is most of them (50 open workspaces polling every second), so it
costs one small query: its URL carries a signed ticket for (company, project), issued by the
workspace to a logged-in member, and no session, user or membership is read to answer 204; all a
ticket tells its holder is "changed or not". What changed is only shown after the full check of
the session and the membership (``member_required``), as on every page.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.companies.access import member_required
from crm.projects.models import Project
from pictime.services.live import live_context, project_version, read_ticket

LIVE_TEMPLATE = "pictime/live.html"


@require_GET
def live(request, project_pk):
    held = read_ticket(request.GET.get("t", ""))  # none or forged: the full check decides
    if held and held[1] == project_pk and request.GET.get("v") == project_version(held[0], project_pk):
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
