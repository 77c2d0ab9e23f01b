"""The open workspace's poll: answers 204 while nothing the panel or Photo sales show has changed
(one small query after the session's), else both, to be swapped in place."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from crm.companies.access import member_required
from crm.projects.models import Project
from pictime.services.live import live_context, project_version

LIVE_TEMPLATE = "pictime/live.html"


@member_required
@require_GET
def live(request, project_pk):
    version = project_version(request.company, project_pk)
    if version is None:
        raise Http404("No such project.")
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    project = get_object_or_404(
        Project.objects.for_company(request.company).select_related("client", "company"), pk=project_pk
    )
    return render(request, LIVE_TEMPLATE, live_context(project))
