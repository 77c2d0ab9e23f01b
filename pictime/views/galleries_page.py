"""The studio's Galleries page (/galleries/): every linked gallery, what it sold, what expires next;
Export CSV of its photo-sales orders; and Remind client. Thin: parse, call one service, render."""

import csv

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crm.companies.access import member_required, or_404
from pictime.forms import ExportPeriodForm, GalleryFiltersForm
from pictime.models import GalleryLink
from pictime.services import galleries_export, galleries_page, reminders


@member_required
@require_GET
def page(request):
    form = GalleryFiltersForm(request.GET or None, sorts=galleries_page.SORTS)
    filters = galleries_page.Filters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = galleries_page.Filters(
            status=data["status"], within=data["within"], q=data["q"], sort=data["sort"] or "expiry"
        )
    context = galleries_page.page_context(request.company, filters, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    start, end = galleries_export.default_period()
    context.update(form=form, query=query.urlencode(), period={"from": start, "to": end})
    return render(request, "pictime/galleries_page.html", context, status=400 if form.errors else 200)


class _Echo:
    """csv.writer writes each row to this, which hands the line back to the response's iterator."""

    def write(self, value):
        return value


@member_required
@require_GET
def export_csv(request):
    start, end = galleries_export.default_period()
    form = ExportPeriodForm(request.GET or {"from": start, "to": end})
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"Export CSV: {label + ': ' if label else ''}{errors[0]}")
        return redirect("galleries:page")
    start, end = form.cleaned_data["from"], form.cleaned_data["to"]
    writer = csv.writer(_Echo())
    rows = galleries_export.export_rows(request.company, start, end)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="photo-sales-{start}-to-{end}.csv"'
    return response


@member_required
@require_POST
def remind(request, link_pk):
    with or_404(GalleryLink, "No such gallery."):
        result = reminders.remind_now(request.company, link_pk)
    level = messages.success if result.outcome == "queued" else messages.info
    level(request, result.message)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "galleries:page")
