"""/api/…: the REST API, its OpenAPI schema and its documentation page (Swagger UI at docs/, from
local static files: drf-spectacular-sidecar; no CDN).

No Redoc page: drf-spectacular's Redoc template loads Google Fonts from the internet."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pictime import api as pictime_api

from . import views

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", views.ProjectList.as_view(), name="api-project-list"),
    path("projects/<str:project_id>/", views.ProjectDetail.as_view(), name="api-project-detail"),
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
