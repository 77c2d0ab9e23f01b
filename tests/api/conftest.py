"""API callers: the owner, the teammate and the outsider, each with a token."""

import sys
import types

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.admin.factories import make_connection, make_link, make_order


def _api(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


@pytest.fixture
def owner_api(owner):
    return _api(owner)


@pytest.fixture
def teammate_api(teammate):
    return _api(teammate)


@pytest.fixture
def outsider_api(outsider):
    return _api(outsider)


@pytest.fixture
def callers(owner_api, teammate_api, outsider_api):
    return {"owner": owner_api, "member": teammate_api, "outsider": outsider_api}


@pytest.fixture
def db_connection(company):
    """The company connected (rows only; nothing at Pic-Time)."""
    connection = make_connection(company)
    connection.brands = [{"id": "br_1", "name": "Lumen"}, {"id": "br_2", "name": "Lumen Weddings"}]
    connection.presets = [{"id": "pr_1", "name": "Standard"}]
    connection.save()
    return connection


@pytest.fixture
def link(db_connection, project):
    return make_link(db_connection, project)


@pytest.fixture
def order(link):
    order = make_order(link.connection)
    order.gallery_id = link.gallery_id
    order.save()
    return order


@pytest.fixture
def fake_galleries(monkeypatch):
    """Stands in for pictime.services.galleries (built on another branch) and records its calls."""
    from pictime.models import GalleryLink

    calls = []

    def create_and_link(project, connection, data, idempotency_key, user):
        calls.append(("create_and_link", project.pk, connection.pk, data, idempotency_key, user.pk))
        return GalleryLink.objects.create(
            company=project.company,
            project=project,
            connection=connection,
            account_id=connection.account_id,
            gallery_id=f"new_{len(calls)}",
            name=data["name"],
            origin="created",
        )

    def link_existing(project, connection, gallery_id, user):
        calls.append(("link_existing", project.pk, connection.pk, gallery_id, user.pk))
        return GalleryLink.objects.create(
            company=project.company,
            project=project,
            connection=connection,
            account_id=connection.account_id,
            gallery_id=gallery_id,
            name="Existing",
        )

    def sync_link(link):
        calls.append(("sync_link", link.pk))
        GalleryLink.objects.filter(pk=link.pk).update(image_count=42)
        return link

    def unlink(link):
        calls.append(("unlink", link.pk))
        link.delete()

    def list_account_galleries(connection, q, cursor):
        from pictime.schemas import Page

        calls.append(("list_account_galleries", connection.pk, q, cursor))
        link = GalleryLink.objects.filter(connection=connection).first()
        gallery = types.SimpleNamespace(
            id=link.gallery_id,
            name=link.name,
            status="online",
            image_count=3,
            cover_url=None,
            event_date=None,
            client=types.SimpleNamespace(name="Bella", email="bella@example.com"),
        )
        other = types.SimpleNamespace(**{**vars(gallery), "id": "gal_not_linked"})
        return Page(data=[gallery, other], next_cursor="c2")

    module = types.SimpleNamespace(
        create_and_link=create_and_link,
        link_existing=link_existing,
        sync_link=sync_link,
        unlink=unlink,
        list_account_galleries=list_account_galleries,
        calls=calls,
    )
    monkeypatch.setitem(sys.modules, "pictime.services.galleries", module)
    return module
