"""The admin site, with every add, change and delete made through it written to the audit trail.

Installed as Django's default admin site (crm.audit.apps.AdminConfig, in INSTALLED_APPS in place of
django.contrib.admin), so every registered model admin, Django's own (users, groups) included, is
audited without each one opting in. Django's LogEntry stays as it is; the audit trail adds the
company and outlives deleted users.
"""

from django.contrib import admin

from .models import AuditEntry
from .services import record


def _message(message) -> str:
    """The admin's change message ([{"changed": {"fields": [...]}}] or text) as a sentence."""
    if isinstance(message, str):
        return message
    parts = []
    for item in message or []:
        for verb, what in item.items():
            fields = ", ".join(what.get("fields", [])) if isinstance(what, dict) else ""
            name = what.get("name", "") if isinstance(what, dict) else ""
            parts.append(" ".join(p for p in (verb, name, fields) if p))
    return "; ".join(parts)


class AuditedModelAdminMixin:
    """Writes an audit entry beside each LogEntry the admin makes (ModelAdmin's log_* hooks)."""

    def _audit(self, request, obj, action, message):
        record(
            actor=request.user,
            action=action,
            target=obj,
            outcome=AuditEntry.Outcome.SUCCEEDED,
            message=_message(message),
            company=getattr(obj, "company", None) if hasattr(obj, "company_id") else None,
            details={"via": "admin", "superuser": bool(getattr(request.user, "is_superuser", False))},
        )

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, "admin.add", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, "admin.change", message)
        return entry

    def log_deletions(self, request, queryset):
        # Called before the objects are deleted, so they can still be described.
        for obj in queryset:
            self._audit(request, obj, "admin.delete", "deleted")
        return super().log_deletions(request, queryset)


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedModelAdminMixin):
            base = type(base.__name__, (AuditedModelAdminMixin, base), {"__module__": base.__module__})
        return super().register(model_or_iterable, base, **options)
