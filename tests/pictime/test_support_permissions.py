"""The Support group's Pic-Time permissions come from pictime (post_migrate), not from crm.ops."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models.signals import post_migrate

from crm.ops.support import SUPPORT_GROUP, ensure_support_group

ACTIONS = {"run_sync", "retry_autocreate", "disconnect_connection"}


def pictime_permissions(group):
    return set(group.permissions.filter(content_type__app_label="pictime").values_list("codename", flat=True))


def migrate_pictime():
    config = apps.get_app_config("pictime")
    post_migrate.send(
        sender=config, app_config=config, verbosity=0, interactive=False, using="default", apps=apps, plan=[]
    )


@pytest.mark.django_db
def test_the_crm_grants_support_no_pictime_permission():
    Group.objects.filter(name=SUPPORT_GROUP).delete()
    group = ensure_support_group(apps)
    assert group.permissions.filter(codename="view_project").exists()
    assert pictime_permissions(group) == set()


@pytest.mark.django_db
def test_pictime_grants_support_its_view_and_action_permissions_on_migrate():
    Group.objects.filter(name=SUPPORT_GROUP).delete()
    migrate_pictime()
    ensure_support_group(apps)  # the CRM's part, run after, takes nothing away

    granted = pictime_permissions(Group.objects.get(name=SUPPORT_GROUP))
    assert ACTIONS <= granted
    assert {"view_connection", "view_gallerylink", "view_autocreatejob", "view_syncrun"} <= granted
    assert granted - ACTIONS == {codename for codename in granted if codename.startswith("view_")}
    assert "change_connection" not in granted and "delete_connection" not in granted
