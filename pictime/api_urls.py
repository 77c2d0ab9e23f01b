"""/api/…: the Pic-Time part of the REST API (a project's galleries and orders, the connection).

Included by the project's URLconf beside crm.api.urls, so the CRM's own apps know nothing of Pic-Time.
"""

from django.urls import include, path

from . import api as pictime_api

# Below /api/projects/<project_id>/galleries/.
gallery_urls = [
    path("", pictime_api.ProjectGalleries.as_view(), name="api-project-galleries"),
    path("link/", pictime_api.ProjectGalleryLinkExisting.as_view(), name="api-project-galleries-link"),
    path("available/", pictime_api.ProjectAccountGalleries.as_view(), name="api-project-galleries-available"),
    path("<str:link_id>/", pictime_api.ProjectGalleryDetail.as_view(), name="api-project-gallery"),
    path("<str:link_id>/sync/", pictime_api.ProjectGallerySync.as_view(), name="api-project-gallery-sync"),
]

# Below /api/pictime/connection/.
connection_urls = [
    path("", pictime_api.ConnectionState.as_view(), name="api-pictime-connection"),
    path("auto-create/", pictime_api.ConnectionAutoCreate.as_view(), name="api-pictime-auto-create"),
    path("defaults/", pictime_api.ConnectionDefaults.as_view(), name="api-pictime-defaults"),
]

urlpatterns = [
    path("projects/<str:project_id>/galleries/", include(gallery_urls)),
    path("projects/<str:project_id>/orders/", pictime_api.ProjectOrders.as_view(), name="api-project-orders"),
    path("pictime/connection/", include(connection_urls)),
]
