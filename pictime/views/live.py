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
from django.urls import reverse
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


class UnchangedPollMiddleware:
    """Answers the poll that finds nothing new (most of them) first of all the middleware, before the
    URL resolver: its 204 reads no session and carries no content, so they have nothing to add, and
    it is kept out of the access log. Kept because the numbers demand it (bench/panel_poll_bench.py,
    README). Any other request, or a poll with news, goes on as usual."""

    def __init__(self, get_response):
        self.get_response = get_response
        prefix, _, suffix = reverse("pictime:panel_live", args=[0]).rpartition("/0/")
        self.prefix, self.suffix = prefix + "/", "/" + suffix

    def __call__(self, request):
        path = request.path_info
        if request.method == "GET" and path.startswith(self.prefix) and path.endswith(self.suffix):
            project_pk = path[len(self.prefix) : -len(self.suffix)]
            if project_pk.isdigit() and unchanged(request, int(project_pk)):
                keep_out_of_access_log(request)
                return HttpResponse(status=204)
        return self.get_response(request)
