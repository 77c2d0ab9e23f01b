"""The client portal's Galleries section: online galleries only, under the studio's intro text."""

import pytest
from django.test import Client as Browser

from pictime.models import GalleryLink
from pictime.schemas import Gallery
from pictime.services.connection import save_gallery_defaults
from tests.factories import link_gallery


def portal(project):
    response = Browser().get(project.get_portal_url())
    assert response.status_code == 200
    return response.content.decode()


def shows(project, gallery) -> bool:
    """Whether the portal links to the live gallery."""
    return f'href="{gallery["public_url"]}"' in portal(project)


def refresh(link, gallery):
    link.apply_remote(Gallery.from_dict(gallery))
    link.save()


@pytest.fixture
def published(sandbox, pictime_account, connection, project):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    sandbox.add_photos(gallery["id"], 3)
    gallery = sandbox.publish(gallery["id"])
    return link_gallery(connection, project, gallery), gallery


@pytest.mark.django_db
def test_an_online_gallery_appears_with_cover_name_and_link_under_the_intro(connection, project, published):
    link, gallery = published
    save_gallery_defaults(
        connection,
        brand_id=connection.default_brand_id,
        preset_id=connection.default_preset_id,
        portal_intro="Your wedding photos are here. Enjoy!",
    )
    html = portal(project)
    assert '<h2 id="portal-galleries">Galleries</h2>' in html
    intro = html.index("Your wedding photos are here. Enjoy!")
    anchor = html.index(f'href="{gallery["public_url"]}"')
    assert intro < anchor
    assert '<span class="portal-gallery-name">Bella &amp; Ben Wedding</span>' in html
    assert f'src="{gallery["cover_url"]}"' in html


@pytest.mark.django_db
def test_offline_unpublished_expired_deleted_and_inactive_galleries_never_appear(
    connection, project, sandbox, pictime_account, published
):
    link, gallery = published
    never_published = sandbox.create_gallery(pictime_account["id"], name="Draft gallery")
    link_gallery(connection, project, never_published)
    html = portal(project)
    assert f'href="{gallery["public_url"]}"' in html and "Draft gallery" not in html

    refresh(link, sandbox.take_offline(gallery["id"]))
    assert "Galleries</h2>" not in portal(project)

    refresh(link, sandbox.publish(gallery["id"]))
    assert shows(project, gallery)
    refresh(link, sandbox.set_expiry(gallery["id"], "2020-01-01T00:00:00Z"))
    assert link.status == GalleryLink.Status.OFFLINE
    assert not shows(project, gallery)

    sandbox.set_expiry(gallery["id"], "2099-01-01T00:00:00Z")
    refresh(link, sandbox.publish(gallery["id"]))
    assert shows(project, gallery)
    GalleryLink.objects.filter(pk=link.pk).update(is_active=False)  # disconnected
    assert not shows(project, gallery)

    GalleryLink.objects.filter(pk=link.pk).update(is_active=True)
    deleted = GalleryLink.objects.get(pk=link.pk)
    deleted.mark_deleted()
    deleted.save()
    assert "Galleries</h2>" not in portal(project)


@pytest.mark.django_db
def test_another_projects_gallery_is_not_shown(connection, project, published, client_person):
    from crm.projects.services import create_project

    other = create_project(
        company=project.company, client=client_person, name="Engagement", type="engagement"
    )
    link, gallery = published
    assert not shows(other, gallery)
    assert shows(project, gallery)
