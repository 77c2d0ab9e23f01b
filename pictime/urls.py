from django.urls import path

from .views import autocreate, connect, webhooks

app_name = "pictime"

urlpatterns = [
    path("connect/", connect.connect, name="connect"),
    path("callback/", connect.callback, name="callback"),
    path("disconnect/", connect.disconnect, name="disconnect"),
    path("auto-create/", connect.auto_create, name="auto_create"),
    path("defaults/", connect.gallery_defaults, name="defaults"),
    path("webhooks/<str:token>/", webhooks.receive, name="webhook"),
    path("projects/<int:project_id>/auto-create/retry/", autocreate.retry, name="autocreate_retry"),
]
