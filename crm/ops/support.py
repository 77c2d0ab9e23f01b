"""The "Support" group: staff who help photographers through the admin site without being superusers.

They may view the CRM's records and read the audit trail. Integrations add their own permissions
to the group (Pic-Time: pictime/apps.py, on post_migrate), so the CRM names none of them.

`ensure_support_group(apps)` is idempotent and only adds; the data migration
crm/ops/migrations/0001 runs it with the historical app registry, tests and `manage.py` shells may
run it with `django.apps.apps`.
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
    ("audit", "auditentry"),
]


def ensure_support_group(apps):
    """Creates (or completes) the Support group with the CRM's view permissions; returns the group."""
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

    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.add(*permissions)  # add, not set: integrations grant theirs to the same group
    return group
