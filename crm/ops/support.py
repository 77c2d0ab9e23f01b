"""The "Support" group: staff who help photographers through the admin site without being superusers.

They may view the CRM's records and Pic-Time's, read the audit trail, and take the three support
actions (each a permission of its own, checked by the admin actions in pictime/admin.py):

    pictime.run_sync               re-run a sync of a connection
    pictime.retry_autocreate       retry a failed auto-create of a gallery
    pictime.disconnect_connection  disconnect a company's Pic-Time account

`ensure_support_group(apps)` is idempotent; the data migration crm/ops/migrations/0001 runs it with
the historical app registry, tests and `manage.py` shells may run it with `django.apps.apps`.
"""

SUPPORT_GROUP = "Support"

# (app_label, model): the Support group may view these.
VIEWABLE_MODELS = [
    ("companies", "company"),
    ("companies", "membership"),
    ("clients", "client"),
    ("projects", "project"),
    ("projects", "activity"),
    ("payments", "invoice"),
    ("payments", "payment"),
    ("integrations", "companyintegration"),
    ("pictime", "connection"),
    ("pictime", "gallerylink"),
    ("pictime", "autocreatejob"),
    ("pictime", "order"),
    ("pictime", "webhookdelivery"),
    ("pictime", "webhookevent"),
    ("pictime", "syncrun"),
    ("audit", "auditentry"),
]

# (app_label, model, codename, name): permissions for the admin actions.
ACTION_PERMISSIONS = [
    ("pictime", "connection", "run_sync", "Can re-run a Pic-Time sync"),
    ("pictime", "autocreatejob", "retry_autocreate", "Can retry a failed auto-create of a gallery"),
    ("pictime", "connection", "disconnect_connection", "Can disconnect a company's Pic-Time account"),
]


def ensure_support_group(apps):
    """Creates (or completes) the Support group with exactly its permissions; returns the group."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    permissions = []
    for app_label, model in VIEWABLE_MODELS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type,
            codename=f"view_{model}",
            defaults={"name": f"Can view {apps.get_model(app_label, model)._meta.verbose_name}"},
        )
        permissions.append(permission)
    for app_label, model, codename, name in ACTION_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)

    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.set(permissions)
    return group
