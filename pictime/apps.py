from urllib.parse import urlsplit

from django.apps import AppConfig
from django.core.signals import setting_changed

URL_SETTINGS = {"PICTIME_BASE_URL", "PICTIME_PUBLIC_URL", "PICTIME_URL_HOSTS"}


def configure_url_policy(**kwargs):
    """Which links from Pic-Time the schema parsing keeps (pictime.schemas.url_policy): https, and
    http only while Pic-Time itself is configured on http (the sandbox in development)."""
    from django.conf import settings

    from pictime.schemas import UrlPolicy, set_url_policy

    if kwargs.get("setting", "PICTIME_BASE_URL") not in URL_SETTINGS:
        return
    pictime_urls = (settings.PICTIME_BASE_URL, settings.PICTIME_PUBLIC_URL)
    schemes = (
        ("http", "https") if any(urlsplit(u).scheme == "http" for u in pictime_urls if u) else ("https",)
    )
    hosts = tuple(h.strip().lower().lstrip(".") for h in settings.PICTIME_URL_HOSTS if h.strip())
    set_url_policy(UrlPolicy(schemes=schemes, hosts=hosts))


class PicTimeConfig(AppConfig):
    name = "pictime"
    verbose_name = "Pic-Time"

    def ready(self):
        from pictime import receivers  # noqa: F401  (connects the signal receivers)

        configure_url_policy()
        setting_changed.connect(configure_url_policy, dispatch_uid="pictime-url-policy")
