from django.contrib import admin

from .models import Company, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "currency", "created_at"]
    search_fields = ["name", "email", "memberships__user__email"]
    list_filter = ["currency", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "company__name"]
    list_select_related = ["user", "company"]
    raw_id_fields = ["user", "company"]
