"""The client portal: the photographer's client, by a private link, sees invoices and pays.

The link's token is the only credential; a revoked or wrong token is a plain 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from crm.companies.access import use_company_locale
from crm.payments import services
from crm.payments.forms import CardForm
from crm.payments.models import Installment, Invoice
from crm.payments.processors import CardDeclined
from crm.projects.models import Project
from crm.templating import render_form


def _project(token):
    project = get_object_or_404(Project.objects.select_related("client", "company"), portal_token=token)
    use_company_locale(project.company)
    return project


def portal(request, token):
    project = _project(token)
    invoices = (
        Invoice.objects.filter(project=project)
        .exclude(status=Invoice.Status.DRAFT)
        .prefetch_related(Prefetch("installments", queryset=Installment.objects.with_paid()))
    )
    return render(request, "portal/portal.html", {"project": project, "invoices": invoices, "token": token})


def pay(request, token, installment_pk):
    project = _project(token)
    installment = get_object_or_404(
        Installment.objects.with_paid()
        .select_related("invoice__project__company")
        .filter(invoice__project=project)
        .exclude(invoice__status=Invoice.Status.DRAFT),
        pk=installment_pk,
    )
    due = installment.amount - installment.paid
    if due <= 0:  # nothing to pay: say so, and charge nothing (a form here would offer "Pay 0.00")
        return render(
            request,
            "portal/pay.html",
            {
                "project": project,
                "installment": installment,
                "token": token,
                "paid": True,
                "error": "This payment is already paid in full." if request.method == "POST" else "",
            },
            status=400 if request.method == "POST" else 200,
        )
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pay_by_card(installment=installment, card=form.card())
        except CardDeclined as declined:
            form.add_error(None, f"{declined} Nothing was charged. Try another card.")
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Thank you! Your payment was received.")
            return redirect("portal", token=token)
    return render_form(
        request, "portal/pay.html", form, project=project, installment=installment, due=due, token=token
    )
