from django.contrib import admin

from .models import CompanyIntegration


@admin.register(CompanyIntegration)
class CompanyIntegrationAdmin(admin.ModelAdmin):
    list_display = ["company", "provider", "status", "connected_at", "updated_at"]
    list_filter = ["provider", "status"]
    search_fields = ["company__name", "provider", "last_error"]
    list_select_related = ["company"]
    readonly_fields = ["updated_at"]
