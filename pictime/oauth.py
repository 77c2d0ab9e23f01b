"""The CRM's OAuth client for Pic-Time, built from settings (connect, refresh, revoke use it)."""

from django.conf import settings
from django.urls import reverse

from pictime.client import PicTimeOAuth


def redirect_uri() -> str:
    return settings.SITE_URL + reverse("pictime:callback")


def oauth_client(**log_context) -> PicTimeOAuth:
    return PicTimeOAuth(
        settings.PICTIME_BASE_URL,
        settings.PICTIME_CLIENT_ID,
        settings.PICTIME_CLIENT_SECRET,
        redirect_uri(),
        timeout=settings.PICTIME_TIMEOUT,
        log_context=log_context,
    )
