"""The project pages: editing a project writes the stage change to its activity feed."""

import pytest
from django.urls import reverse

from crm.projects.models import Activity

pytestmark = pytest.mark.django_db


def test_editing_the_stage_writes_it_to_the_activity_feed(owner_client, project):
    r = owner_client.post(
        reverse("project_edit", args=[project.pk]),
        {"name": project.name, "type": "wedding", "stage": "booked", "event_date": "2027-06-12"},
    )
    assert r.status_code == 302
    line = project.activities.get(kind=Activity.Kind.STAGE_CHANGED)
    assert line.message == "Stage changed to Booked"
    workspace = owner_client.get(reverse("project_workspace", args=[project.pk])).content.decode()
    assert "Stage changed to Booked" in workspace


def test_editing_without_a_stage_change_writes_no_stage_line(owner_client, project):
    r = owner_client.post(
        reverse("project_edit", args=[project.pk]),
        {"name": "Renamed", "type": "wedding", "stage": "inquiry", "event_date": "2027-06-12"},
    )
    assert r.status_code == 302
    assert not project.activities.filter(kind=Activity.Kind.STAGE_CHANGED).exists()
