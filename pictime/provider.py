"""Pic-Time as an integration provider: its settings section, workspace panel and portal section."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from crm.companies.access import load_membership
from integrations.base import IntegrationProvider
from pictime.forms import ExpiryReminderForm, GalleryDefaultsForm, ReadyEmailForm
from pictime.services.live import live_context
from pictime.services.portal import portal_context
from pictime.services.settings_section import settings_section


class PicTimeProvider(IntegrationProvider):
    key = "pictime"
    name = "Pic-Time"
    description = (
        "Create and connect Pic-Time galleries to your projects, see their status and photo sales, "
        "and share them with clients in the client portal."
    )

    def settings_section(self, request, company):
        context = settings_section(company)
        connection = context["connection"]
        membership = load_membership(request)
        context["is_owner"] = bool(membership and membership.is_owner)
        context["defaults_form"] = context["email_form"] = context["reminder_form"] = None
        if connection and connection.is_connected:
            context["email_form"] = ReadyEmailForm(
                initial={
                    "ready_email_enabled": connection.ready_email_enabled,
                    "ready_email_subject": connection.ready_email_subject,
                    "ready_email_message": connection.ready_email_message,
                    "ready_email_signoff": connection.ready_email_signoff,
                }
            )
            context["reminder_form"] = ExpiryReminderForm(
                initial={
                    "reminder_email_enabled": connection.reminder_email_enabled,
                    "reminder_days_before": connection.reminder_days_before,
                    "reminder_email_subject": connection.reminder_email_subject,
                    "reminder_email_message": connection.reminder_email_message,
                }
            )
            context["defaults_form"] = GalleryDefaultsForm(
                connection=connection,
                initial={
                    "default_brand_id": connection.default_brand_id,
                    "default_preset_id": connection.default_preset_id,
                    "portal_intro": connection.portal_intro,
                },
            )
        html = render_to_string("pictime/settings_section.html", context, request)
        return mark_safe(html)  # noqa: S308 - our own autoescaped template

    def seed_demo(self, company, user):
        from pictime import demo

        if not demo.seed(company, user):
            return ""
        return f"  Pic-Time: {len(demo.GALLERIES)} galleries of an earlier account and their sales"

    def workspace_panel(self, request, project):
        """The Pic-Time Galleries panel and, once a gallery is linked, the project's photo sales."""
        html = render_to_string("pictime/live.html", live_context(project), request)
        return mark_safe(html)  # noqa: S308 - our own autoescaped templates

    def portal_section(self, request, project):
        context = portal_context(project)
        if not context:
            return ""
        return mark_safe(render_to_string("pictime/portal_section.html", context, request))  # noqa: S308
