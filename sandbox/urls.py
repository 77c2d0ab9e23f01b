from django.urls import path, re_path

from sandbox.core import admin_api, api, oauth, pages

urlpatterns = [
    path("", pages.home),
    path("sandbox.css", pages.css),
    path("accounts/signin/", pages.signin, name="signin"),
    path("accounts/signup/", pages.signup, name="signup"),
    path("accounts/signout/", pages.signout, name="signout"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("dashboard/galleries/new/", pages.new_gallery),
    path("dashboard/galleries/<str:gallery_id>/", pages.gallery_page, name="gallery"),
    path("dashboard/webhooks/", pages.deliveries, name="deliveries"),
    path("g/<str:account_id>/<str:slug>", pages.public_gallery, name="public"),
    path("img/<str:gallery_id>/<int:n>.svg", pages.placeholder_image),
    # OAuth 2.0
    path("oauth/authorize", oauth.authorize),
    path("oauth/token", oauth.token),
    path("oauth/revoke", oauth.revoke),
    # REST API
    path("api/v2/account", api.account_view),
    path("api/v2/galleries", api.galleries_view),
    path("api/v2/galleries/<str:gallery_id>", api.gallery_view),
    path("api/v2/orders", api.orders_view),
    path("api/v2/webhooks", api.webhooks_view),
    path("api/v2/webhooks/<str:webhook_id>", api.webhook_view),
    re_path(r"^api/(?P<rest>.*)$", api.not_found),
    # Test control
    path("_sandbox/health", admin_api.health_view),
    path("_sandbox/accounts", admin_api.accounts_view),
    path("_sandbox/accounts/<str:account_id>/expire-tokens", admin_api.expire_tokens_view),
    path("_sandbox/accounts/<str:account_id>/revoke-grants", admin_api.revoke_grants_view),
    path("_sandbox/clients", admin_api.clients_view),
    path("_sandbox/grants", admin_api.grants_view),
    path("_sandbox/galleries", admin_api.galleries_view),
    path("_sandbox/galleries/<str:gallery_id>", admin_api.gallery_view),
    path("_sandbox/galleries/<str:gallery_id>/publish", admin_api.publish_view),
    path("_sandbox/galleries/<str:gallery_id>/offline", admin_api.offline_view),
    path("_sandbox/galleries/<str:gallery_id>/photos", admin_api.photos_view),
    path("_sandbox/galleries/<str:gallery_id>/expiry", admin_api.expiry_view),
    path("_sandbox/galleries/<str:gallery_id>/orders", admin_api.orders_view),
    path("_sandbox/orders/<str:order_id>/refund", admin_api.refund_view),
    path("_sandbox/orders/<str:order_id>/cancel", admin_api.cancel_view),
    path("_sandbox/faults", admin_api.faults_view),
    path("_sandbox/rate-limit", admin_api.rate_limit_view),
    path("_sandbox/stats", admin_api.stats_view),
    path("_sandbox/webhook-deliveries", admin_api.deliveries_view),
]
