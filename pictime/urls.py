from django.urls import path

from .views import autocreate, connect, events, live, panel, webhooks

app_name = "pictime"

urlpatterns = [
    path("connect/", connect.connect, name="connect"),
    path("callback/", connect.callback, name="callback"),
    path("disconnect/", connect.disconnect, name="disconnect"),
    path("auto-create/", connect.auto_create, name="auto_create"),
    path("defaults/", connect.gallery_defaults, name="defaults"),
    path("ready-email/", connect.ready_email, name="ready_email"),
    path("ready-email/preview/", connect.ready_email_preview, name="ready_email_preview"),
    path("ready-email/preview/body/", connect.ready_email_preview_body, name="ready_email_preview_body"),
    path("expiry-reminder/", connect.expiry_reminder, name="expiry_reminder"),
    path("webhooks/<str:token>/", webhooks.receive, name="webhook"),
    # The Pic-Time Galleries panel of a project's workspace
    path("projects/<int:project_pk>/galleries/", panel.panel, name="panel"),
    path("projects/<int:project_pk>/galleries/live/", live.live, name="panel_live"),
    path("projects/<int:project_pk>/galleries/events/", events.events, name="panel_events"),
    path("projects/<int:project_pk>/galleries/add/", panel.add, name="panel_add"),
    path("projects/<int:project_pk>/galleries/new/", panel.new, name="panel_new"),
    path("projects/<int:project_pk>/galleries/existing/", panel.existing, name="panel_existing"),
    path("projects/<int:project_pk>/galleries/connect/", panel.connect, name="panel_connect"),
    path("projects/<int:project_pk>/galleries/<int:link_pk>/sync/", panel.sync, name="panel_sync"),
    path("projects/<int:project_pk>/galleries/<int:link_pk>/unlink/", panel.unlink, name="panel_unlink"),
    path("projects/<int:project_id>/auto-create/retry/", autocreate.retry, name="autocreate_retry"),
]
