from django.contrib import admin

from .models import Activity, Project


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    readonly_fields = ["kind", "message", "created_at"]
    can_delete = False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "client", "type", "stage", "event_date", "first_paid_at"]
    list_filter = ["stage", "type", "event_date"]
    search_fields = ["name", "company__name", "client__name", "client__email"]
    list_select_related = ["company", "client"]
    raw_id_fields = ["company", "client"]
    readonly_fields = ["first_paid_at", "created_at", "updated_at"]
    exclude = ["portal_token"]
    inlines = [ActivityInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["project", "kind", "message", "created_at"]
    list_filter = ["kind"]
    search_fields = ["message", "project__name", "project__company__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
