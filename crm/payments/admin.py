from django.contrib import admin

from .models import Installment, Invoice, Payment


class InstallmentInline(admin.TabularInline):
    model = Installment
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["display_number", "title", "company", "project", "status", "sent_at"]
    list_filter = ["status"]
    search_fields = ["title", "company__name", "project__name", "project__client__email"]
    list_select_related = ["company", "project"]
    raw_id_fields = ["company", "project"]
    inlines = [InstallmentInline]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "number", "amount", "method", "status", "company", "project", "paid_at"]
    list_filter = ["method", "status", "paid_at"]
    search_fields = ["reference", "company__name", "project__name", "project__client__email"]
    list_select_related = ["company", "project"]
    raw_id_fields = ["company", "project", "invoice", "installment", "recorded_by"]

    def has_add_permission(self, request):
        # A payment enters the CRM only through record_payment (Record payment on an invoice, a card
        # in the portal): its balance checks, its number in the invoice, what a first payment starts.
        return False
