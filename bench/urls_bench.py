"""The CRM's URLs plus /bench/minimal/: a logged-in member's smallest page, the baseline; and
/bench/galleries-after-a-change/: the Galleries page right after a change (its figures computed
again, not read from the cache)."""

from django.http import HttpResponse
from django.urls import include, path

from crm.companies.access import member_required
from crm.projects.models import Project
from pictime.models import touch_projects
from pictime.views import galleries_page


@member_required
def minimal(request):
    return HttpResponse(f"ok {request.company.pk}", content_type="text/plain")


@member_required
def galleries_after_a_change(request):
    """One project's stamp moved (as a new order, a webhook or a reminder of its gallery does), then
    the page: what a view costs when nothing of it can be reused."""
    touch_projects(Project.objects.filter(company=request.company).order_by("pk").values("pk")[:1])
    return galleries_page.page(request)


urlpatterns = [
    path("bench/minimal/", minimal),
    path("bench/galleries-after-a-change/", galleries_after_a_change),
    path("", include("crm.urls")),
]
