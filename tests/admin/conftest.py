"""Support staff: a staff user in the "Support" group (not a superuser), and a superuser."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from crm.ops.support import ensure_support_group
from tests.fixtures import signed_in


@pytest.fixture
def support_group(db):
    # The data migration made it; ensure_support_group() is the same (idempotent) code, run again in
    # case a transactional test flushed the database earlier in the session.
    return ensure_support_group(apps)


@pytest.fixture
def support_user(support_group):
    user = get_user_model().objects.create_user(
        username="sam@support.test", email="sam@support.test", password="x", is_staff=True
    )
    user.groups.add(support_group)
    return user


support_client = signed_in("support_user")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root@support.test", password="x")


superuser_client = signed_in("superuser")
