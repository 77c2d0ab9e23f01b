"""manage.py pictime_resync runs the real sync service against the Pic-Time sandbox."""

import pytest
from django.core.management import CommandError, call_command

from crm.audit.models import AuditEntry
from pictime.models import GalleryLink, Order, SyncRun
from pictime.oauth import oauth_client
from pictime.services.connection import disconnect


@pytest.mark.django_db
def test_it_resyncs_a_company(connection, linked, capsys):
    call_command("pictime_resync", "--company", str(connection.company_id))
    out = capsys.readouterr().out
    assert "1 gallery checked, 1 updated, 1 order stored" in out
    linked.refresh_from_db()
    assert linked.image_count == 5
    assert Order.objects.filter(gallery_id=linked.gallery_id).count() == 1
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.project_id) == ("command", "succeeded", None)
    entry = AuditEntry.objects.get()
    assert (entry.actor_repr, entry.action, entry.outcome) == (
        "manage.py pictime_resync",
        "pictime.resync_company",
        "succeeded",
    )
    assert entry.target_id == str(connection.pk)
    assert entry.details == {"sync_run": run.pk}


@pytest.mark.django_db
def test_it_resyncs_a_project(connection, project, linked, capsys):
    call_command("pictime_resync", "--project", str(project.pk))
    assert "1 gallery checked, 1 updated, 1 order stored" in capsys.readouterr().out
    run = SyncRun.objects.get()
    assert (run.trigger, run.status, run.project_id) == ("command", "succeeded", project.pk)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.target_type, entry.target_id) == (
        "pictime.resync_project",
        "succeeded",
        "projects.project",
        str(project.pk),
    )


@pytest.mark.django_db
def test_it_fails_loudly_when_the_sync_failed(connection, project, linked):
    oauth_client().revoke(connection.refresh_token)  # the photographer revoked the grant at Pic-Time
    with pytest.raises(CommandError, match="reconnect Pic-Time"):
        call_command("pictime_resync", "--project", str(project.pk))
    run = SyncRun.objects.get()
    assert run.status == "failed" and run.error
    linked.refresh_from_db()
    assert linked.image_count == 0 and linked.last_sync_error
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.target_type) == (
        "pictime.resync_project",
        "failed",
        "projects.project",
    )
    assert "reconnect" in entry.message


@pytest.mark.django_db
def test_it_refuses_a_disconnected_company(connection, linked):
    disconnect(connection)
    with pytest.raises(CommandError, match="not connected"):
        call_command("pictime_resync", "--company", str(connection.company_id))
    assert not SyncRun.objects.exists()
    assert GalleryLink.objects.get(pk=linked.pk).image_count == 0


def test_it_refuses_unknown_ids_and_needs_exactly_one_target(db, company):
    with pytest.raises(CommandError, match="No project"):
        call_command("pictime_resync", "--project", "999999")
    with pytest.raises(CommandError, match="no Pic-Time connection"):
        call_command("pictime_resync", "--company", "999999")
    with pytest.raises(CommandError, match="no Pic-Time connection"):
        call_command("pictime_resync", "--company", str(company.pk))  # never connected
    with pytest.raises(CommandError):
        call_command("pictime_resync")
    assert not SyncRun.objects.exists()
    assert not AuditEntry.objects.exists()
