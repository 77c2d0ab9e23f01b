"""The admin site's Pic-Time pages, for support staff.

Everything here is read-only (the rows are written by the services, tasks and webhooks); support
acts through three admin actions, each behind a permission of its own and each written to the audit
trail (crm.audit): re-run a sync, retry a failed auto-create, disconnect.

Tokens are never shown: Connection's pages list their fields explicitly and leave out
``access_token``, ``refresh_token`` and ``webhook_secret`` (a test renders the change page and looks
for both the plaintext and the ciphertext).
"""

import logging

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from crm.audit.admin import ReadOnlyAdmin
from crm.audit.models import AuditEntry
from crm.audit.services import record
from integrations.models import CompanyIntegration

from . import queue
from .admin_pending import LinkPendingWorkFilter, PendingWorkFirst, job_pending_work, link_pending_work
from .errors import PicTimeError
from .models import AutoCreateJob, Connection, GalleryLink, Order, SyncRun, WebhookDelivery, WebhookEvent
from .services import connection as connection_service

log = logging.getLogger(__name__)

SECRET_FIELDS = ("access_token", "refresh_token", "webhook_secret")


def _short(text, length=80):
    return Truncator(text or "").chars(length)


def _error_text(error: Exception) -> str:
    if isinstance(error, PicTimeError):
        return str(error)
    log.exception("pictime.admin.action_failed")  # a bug: keep its traceback in the logs
    return f"{error.__class__.__name__}: {error}"


class Refused(Exception):
    """A support action that does not apply to this row (nothing was done)."""


def run_audited(modeladmin, request, *, action, target, label, run, failure="failed"):
    """Runs one support action on one row: tells the support person, writes the audit entry.

    ``run()`` returns ``(succeeded, message, details)``; it raises Refused when the row doesn't
    qualify. Any other error is recorded as a failure (and a bug's traceback is logged).
    """
    level = None
    try:
        succeeded, message, details = run()
    except Refused as refused:
        succeeded, message, details, level = False, str(refused), {}, messages.WARNING
    except Exception as error:
        succeeded, message, details = False, _error_text(error), {}
        modeladmin.message_user(request, f"{label}: {failure}: {message}", messages.ERROR)
    else:
        level = messages.SUCCESS if succeeded else messages.ERROR
    record(
        actor=request.user,
        action=action,
        target=target,
        outcome=AuditEntry.Outcome.SUCCEEDED if succeeded else AuditEntry.Outcome.FAILED,
        message=message,
        details=details,
    )
    if level is not None:
        modeladmin.message_user(request, f"{label}: {message}", level)


def _changelist_link(model, text, **filters):
    url = reverse(f"admin:pictime_{model._meta.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    # What support looks for first (status, last error) comes first; the rest is on the row's page.
    list_display = [
        "company",
        "connection_status",
        "last_error",
        "account_name",
        "auto_create",
        "last_synced_at",
    ]
    list_select_related = ["company", "integration"]
    list_filter = ["integration__status", "auto_create_enabled", "plan"]
    search_fields = [
        "company__name",
        "company__email",
        "account_id",
        "account_name",
        "account_email",
        "webhook_id",
        "company__projects__name",
        "company__clients__email",
    ]
    # Listed one by one so that a new secret field never appears by default.
    fields = [
        "company",
        "connection_status",
        "last_error",
        "account_id",
        "account_name",
        "account_email",
        "plan",
        "scope",
        "access_token_expires_at",
        "connected_at",
        "last_synced_at",
        "orders_synced_until",
        "webhook_id",
        *Connection.GALLERY_SETTINGS,
        "updated_at",
        "related_records",
        "recent_audit",
    ]
    readonly_fields = fields
    exclude = SECRET_FIELDS
    actions = ["run_sync", "disconnect_connection"]

    @admin.display(description="status", ordering="integration__status")
    def connection_status(self, obj):
        return obj.integration.get_status_display()

    @admin.display(description="auto-create", boolean=True, ordering="auto_create_enabled")
    def auto_create(self, obj):
        return obj.auto_create_enabled

    @admin.display(description="last error")
    def last_error(self, obj):
        return _short(obj.integration.last_error)

    @admin.display(description="records")
    def related_records(self, obj):
        company = obj.company_id
        return format_html_join(
            " · ",
            "{}",
            [
                (_changelist_link(GalleryLink, "Gallery links", company__id__exact=company),),
                (_changelist_link(AutoCreateJob, "Auto-create jobs", company__id__exact=company),),
                (_changelist_link(SyncRun, "Sync runs", company__id__exact=company),),
                (_changelist_link(WebhookDelivery, "Webhook deliveries", connection__id__exact=obj.pk),),
                (_changelist_link(WebhookEvent, "Webhook events", connection__id__exact=obj.pk),),
                (_changelist_link(Order, "Orders", company__id__exact=company),),
            ],
        )

    @admin.display(description="support actions (latest 10)")
    def recent_audit(self, obj):
        entries = AuditEntry.objects.filter(target_type="pictime.connection", target_id=str(obj.pk))[:10]
        if not entries:
            return "—"
        return format_html_join(
            "",
            "<div>{} · {} · {} · {}</div>",
            ((e.created_at.strftime("%Y-%m-%d %H:%M"), e.actor_repr, e.action, e.outcome) for e in entries),
        )

    # ---- actions
    def has_run_sync_permission(self, request):
        return request.user.has_perm("pictime.run_sync")

    def has_disconnect_connection_permission(self, request):
        return request.user.has_perm("pictime.disconnect_connection")

    @admin.action(description="Re-run a sync now", permissions=["run_sync"])
    def run_sync(self, request, queryset):
        # Queued, not run here: a whole company's sync waits its turn under the account's rate limit,
        # which no web request should. Its result is a sync run like the beat's.
        for connection in queryset.select_related("company", "integration"):

            def sync(connection=connection):
                if not connection.is_connected:
                    status = connection.integration.get_status_display()
                    raise Refused(f"Not connected ({status}): nothing to sync.")
                queue.queue_company_sync(connection, SyncRun.Trigger.SUPPORT)
                return True, "Sync queued: its result appears under Sync runs (trigger: Support staff).", {}

            run_audited(
                self,
                request,
                action="pictime.run_sync",
                target=connection,
                label=str(connection.company),
                run=sync,
                failure="the sync failed",
            )

    @admin.action(description="Disconnect Pic-Time…", permissions=["disconnect_connection"])
    def disconnect_connection(self, request, queryset):
        connections = list(queryset.select_related("company", "integration"))
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/pictime/connection/disconnect_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Disconnect Pic-Time?",
                    "opts": self.model._meta,
                    "connections": connections,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        for connection in connections:

            def disconnect(connection=connection):
                if connection.status == CompanyIntegration.Status.DISCONNECTED:
                    raise Refused("Already disconnected.")
                revoked = connection_service.disconnect(connection)
                message = (
                    "Disconnected; Pic-Time revoked the grant."
                    if revoked
                    else "Disconnected; Pic-Time could not be told, the grant will expire there."
                )
                return True, message, {"revoked": revoked}

            run_audited(
                self,
                request,
                action="pictime.disconnect",
                target=connection,
                label=str(connection.company),
                run=disconnect,
                failure="disconnect failed",
            )
        return None


@admin.register(GalleryLink)
class GalleryLinkAdmin(PendingWorkFirst, ReadOnlyAdmin):
    list_display = [
        "name",
        "status",
        "sync_error",
        "pending_work",
        "project",
        "company",
        "gallery_id",
        "image_count",
        "last_synced_at",
    ]
    list_select_related = ["project", "company"]
    list_filter = ["status", LinkPendingWorkFilter, "is_active", "origin"]
    search_fields = [
        "name",
        "gallery_id",
        "account_id",
        "client_email",
        "company__name",
        "project__name",
        "project__client__email",
    ]

    @admin.display(description="last sync error")
    def sync_error(self, obj):
        return _short(obj.last_sync_error)

    @admin.display(description="pending work")
    def pending_work(self, obj):
        return link_pending_work(obj)


@admin.register(AutoCreateJob)
class AutoCreateJobAdmin(PendingWorkFirst, ReadOnlyAdmin):
    list_display = ["project", "status", "pending_work", "error", "company", "updated_at"]
    list_select_related = ["project", "company"]
    list_filter = ["status"]
    search_fields = [
        "company__name",
        "project__name",
        "project__client__email",
        "link__gallery_id",
        "idempotency_key",
    ]
    actions = ["retry_autocreate"]

    @admin.display(description="last error")
    def error(self, obj):
        return _short(obj.last_error)

    @admin.display(description="tries and pending work")
    def pending_work(self, obj):
        return job_pending_work(obj)

    def has_retry_autocreate_permission(self, request):
        return request.user.has_perm("pictime.retry_autocreate")

    @admin.action(description="Retry the failed auto-create", permissions=["retry_autocreate"])
    def retry_autocreate(self, request, queryset):
        for job in queryset.select_related("project", "company"):

            def retry(job=job):
                if job.status != AutoCreateJob.Status.FAILED:
                    raise Refused(f"Not failed ({job.get_status_display()}): not retried.")
                retried = queue.retry_autocreate(job)
                job.refresh_from_db()
                if not retried:  # another retry (the panel's, a colleague's) got there first
                    raise Refused(f"Not retried: the job is now {job.get_status_display()}.")
                return (
                    True,
                    f"Retry queued; the job is now {job.get_status_display()}.",
                    {"status": job.status},
                )

            run_audited(
                self,
                request,
                action="pictime.retry_autocreate",
                target=job,
                label=str(job.project),
                run=retry,
                failure="retry failed",
            )


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "status",
        "short_error",
        "company",
        "project",
        "trigger",
        "result",
        "requests_made",
        "finished_at",
    ]
    list_select_related = ["company", "project"]
    list_filter = ["status", "trigger"]
    search_fields = ["company__name", "project__name", "project__client__email", "connection__account_id"]
    date_hierarchy = "started_at"

    @admin.display(description="result")
    def result(self, obj):
        return obj.counts if obj.finished_at else "running…"

    @admin.display(description="error")
    def short_error(self, obj):
        return _short(obj.error)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event_type", "event_id", "outcome", "company"]
    list_select_related = ["connection__company"]
    list_filter = ["outcome", "event_type"]
    search_fields = ["event_id", "event_type", "connection__company__name", "connection__account_id"]
    date_hierarchy = "received_at"

    @admin.display(description="company", ordering="connection__company__name")
    def company(self, obj):
        return obj.connection.company if obj.connection else "—"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "status", "short_error", "company", "event_id", "processed_at"]
    list_select_related = ["connection__company"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "type", "connection__company__name", "connection__account_id"]
    date_hierarchy = "received_at"

    @admin.display(description="company", ordering="connection__company__name")
    def company(self, obj):
        return obj.connection.company

    @admin.display(description="error")
    def short_error(self, obj):
        return _short(obj.error)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "order_id", "gallery_id", "company", "status", "total", "currency", "placed_at"]
    list_select_related = ["company"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "order_id", "gallery_id", "company__name", "customer_email", "customer_name"]
    date_hierarchy = "placed_at"

    def get_search_results(self, request, queryset, search_term):
        """Also finds the orders of galleries linked to a project whose name or client email matches
        (an order belongs to a gallery; the gallery's links say which projects)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            linked_to_matching_project = GalleryLink.objects.filter(
                Q(project__name__icontains=term) | Q(project__client__email__icontains=term),
                company_id=OuterRef("company_id"),
                gallery_id=OuterRef("gallery_id"),
            )
            queryset |= self.model.objects.filter(Exists(linked_to_matching_project))
        return queryset, may_have_duplicates
