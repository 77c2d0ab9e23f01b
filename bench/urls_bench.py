"""The CRM's URLs plus /bench/minimal/: a logged-in member's smallest page, the baseline."""

from django.http import HttpResponse
from django.urls import include, path

from crm.companies.access import member_required


@member_required
def minimal(request):
    return HttpResponse(f"ok {request.company.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("crm.urls")),
]
