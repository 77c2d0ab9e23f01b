"""Creates the "Support" group and its permissions (view on CRM records and the audit trail).
Integrations grant their own (Pic-Time: pictime/apps.py). See crm/ops/support.py."""

from django.db import migrations

from crm.ops.support import SUPPORT_GROUP, ensure_support_group


def forwards(apps, schema_editor):
    ensure_support_group(apps)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SUPPORT_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("companies", "0001_initial"),
        ("clients", "0001_initial"),
        ("projects", "0001_initial"),
        ("payments", "0001_initial"),
        ("integrations", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
