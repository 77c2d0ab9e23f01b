from urllib.parse import urlsplit

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

from crm.ops.support import SUPPORT_GROUP

# The admin's support actions (declared on the models' Meta.permissions; see pictime/admin.py).
SUPPORT_ACTIONS = ["run_sync", "disconnect_connection", "retry_autocreate"]


def grant_support_permissions(sender, apps=global_apps, using=DEFAULT_DB_ALIAS, **kwargs):
    """The Support group (crm.ops) may view every Pic-Time record and take the support actions.
    On post_migrate, after Django has created the permissions, and again after a test's flush."""
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated yet
        return
    pictime = Permission.objects.using(using).filter(content_type__app_label="pictime")
    permissions = list(pictime.filter(codename__startswith="view_")) + list(
        pictime.filter(codename__in=SUPPORT_ACTIONS)
    )
    group, _ = Group.objects.using(using).get_or_create(name=SUPPORT_GROUP)
    group.permissions.add(*permissions)


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

        post_migrate.connect(grant_support_permissions, sender=self)
        configure_url_policy()
        setting_changed.connect(configure_url_policy, dispatch_uid="pictime-url-policy")
