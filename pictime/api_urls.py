"""/api/…: the Pic-Time part of the REST API (a project's galleries and orders, the connection).

Included by the project's URLconf beside crm.api.urls, so the CRM's own apps know nothing of Pic-Time.
"""

from django.urls import path

from . import api as pictime_api

urlpatterns = [
    path(
        "projects/<str:project_id>/galleries/",
        pictime_api.ProjectGalleries.as_view(),
        name="api-project-galleries",
    ),
    path(
        "projects/<str:project_id>/galleries/link/",
        pictime_api.ProjectGalleryLinkExisting.as_view(),
        name="api-project-galleries-link",
    ),
    path(
        "projects/<str:project_id>/galleries/available/",
        pictime_api.ProjectAccountGalleries.as_view(),
        name="api-project-galleries-available",
    ),
    path(
        "projects/<str:project_id>/galleries/<str:link_id>/",
        pictime_api.ProjectGalleryDetail.as_view(),
        name="api-project-gallery",
    ),
    path(
        "projects/<str:project_id>/galleries/<str:link_id>/sync/",
        pictime_api.ProjectGallerySync.as_view(),
        name="api-project-gallery-sync",
    ),
    path("projects/<str:project_id>/orders/", pictime_api.ProjectOrders.as_view(), name="api-project-orders"),
    path("pictime/connection/", pictime_api.ConnectionState.as_view(), name="api-pictime-connection"),
    path(
        "pictime/connection/auto-create/",
        pictime_api.ConnectionAutoCreate.as_view(),
        name="api-pictime-auto-create",
    ),
    path(
        "pictime/connection/defaults/",
        pictime_api.ConnectionDefaults.as_view(),
        name="api-pictime-defaults",
    ),
]
