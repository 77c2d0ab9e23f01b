"""The panel's Retry of an auto-create that gave up (after its last attempt, or a permanent error)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.companies.access import member_required
from pictime.models import AutoCreateJob
from pictime.queue import retry_autocreate


@member_required
@require_POST
def retry(request, project_id):
    job = get_object_or_404(
        AutoCreateJob.objects.for_company(request.company).select_related("project"), project_id=project_id
    )
    retried = retry_autocreate(job)
    job.refresh_from_db()
    if request.htmx:
        return render(request, "pictime/autocreate_status.html", {"job": job, "request": request})
    if retried:
        messages.success(request, "Retrying to create the Pic-Time gallery.")
    else:
        messages.info(request, "The Pic-Time gallery is not waiting for a retry.")
    return redirect(job.project.get_absolute_url())
