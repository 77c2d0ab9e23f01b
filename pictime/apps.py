from django.apps import AppConfig
from django.apps import apps as global_apps
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


class PicTimeConfig(AppConfig):
    name = "pictime"
    verbose_name = "Pic-Time"

    def ready(self):
        from pictime import receivers  # noqa: F401  (connects the signal receivers)

        post_migrate.connect(grant_support_permissions, sender=self)
