from django.contrib import admin

from .models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "company", "created_at"]
    search_fields = ["name", "email", "company__name"]
    list_filter = ["created_at"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]
