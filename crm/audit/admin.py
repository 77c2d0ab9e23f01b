from django.contrib import admin

from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only code writes: support reads them, nobody (superusers included) edits them."""

    class Media:
        css = {"all": ["css/admin.css"]}  # long values wrap in their column

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the trail is written by code, never by hand."""

    list_display = ["created_at", "actor_repr", "action", "target_repr", "company", "outcome"]
    list_filter = ["outcome", "action", "created_at"]
    search_fields = ["actor_repr", "action", "target_repr", "target_id", "company__name", "message"]
    list_select_related = ["company"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "actor",
        "actor_repr",
        "action",
        "company",
        "target_type",
        "target_id",
        "target_repr",
        "outcome",
        "message",
        "details",
    ]
