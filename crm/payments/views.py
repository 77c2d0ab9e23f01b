from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.companies.access import member_required
from crm.projects.models import Project
from crm.templating import render_form

from . import services
from .forms import InvoiceForm, RecordPaymentForm, paid_at_from_date
from .models import Installment, Invoice


@member_required
def invoice_new(request, project_pk):
    project = get_object_or_404(Project.objects.for_company(request.company), pk=project_pk)
    form = InvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invoice = services.create_invoice(
            project=project, title=form.cleaned_data["title"], schedule=form.cleaned_data["schedule"]
        )
        if "send" in request.POST:
            services.send_invoice(invoice)
        messages.success(request, f"Invoice {invoice.display_number} created.")
        return redirect(project)
    return render_form(request, "payments/invoice_new.html", form, project=project)


@member_required
@require_POST
def invoice_send(request, pk):
    invoice = get_object_or_404(Invoice.objects.for_company(request.company).select_related("project"), pk=pk)
    services.send_invoice(invoice)
    messages.success(request, f"Invoice {invoice.display_number} sent. Your client can pay it in the portal.")
    return redirect(invoice.project)


@member_required
def record_payment(request, installment_pk):
    installment = get_object_or_404(
        Installment.objects.with_paid()
        .select_related("invoice__project")
        .filter(invoice__company=request.company),
        pk=installment_pk,
    )
    project = installment.invoice.project
    form = RecordPaymentForm(
        request.POST or None,
        initial={"amount": installment.amount - installment.paid, "paid_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_payment(
                installment=installment,
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                recorded_by=request.user,
                paid_at=paid_at_from_date(data["paid_on"]),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Payment recorded.")
            return redirect(project)
    return render_form(
        request, "payments/record_payment.html", form, installment=installment, project=project
    )
