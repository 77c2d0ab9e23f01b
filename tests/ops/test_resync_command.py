import sys
import types

import pytest
from django.core.management import CommandError, call_command

from crm.audit.models import AuditEntry
from integrations.models import CompanyIntegration
from pictime.models import SyncRun
from tests.admin.factories import make_connection, make_project


@pytest.fixture
def fake_sync(monkeypatch, db):
    """Stands in for pictime.services.sync (another branch): records a SyncRun like the real one."""
    calls = []

    def sync_connection(connection, trigger):
        calls.append(("connection", connection.pk, trigger))
        return SyncRun.objects.create(
            company_id=connection.company_id,
            connection=connection,
            trigger=trigger,
            status=SyncRun.Status.SUCCEEDED,
            galleries_checked=3,
        )

    def sync_project(project):
        calls.append(("project", project.pk))
        return SyncRun.objects.create(
            company_id=project.company_id,
            connection=project.company.pictime_connection,
            project=project,
            trigger=SyncRun.Trigger.COMMAND,
            status=SyncRun.Status.FAILED,
            error="Pic-Time is down",
        )

    module = types.SimpleNamespace(sync_connection=sync_connection, sync_project=sync_project, calls=calls)
    monkeypatch.setitem(sys.modules, "pictime.services.sync", module)
    return module


def test_it_resyncs_a_company(fake_sync, capsys):
    connection = make_connection()
    call_command("pictime_resync", "--company", str(connection.company_id))
    assert fake_sync.calls == [("connection", connection.pk, SyncRun.Trigger.COMMAND)]
    assert "3 galleries checked" in capsys.readouterr().out
    entry = AuditEntry.objects.get()
    assert (entry.actor_repr, entry.action, entry.outcome) == (
        "manage.py pictime_resync",
        "pictime.resync_company",
        "succeeded",
    )
    assert entry.target_id == str(connection.pk)


def test_it_resyncs_a_project_and_fails_loudly_when_the_sync_failed(fake_sync):
    connection = make_connection()
    project = make_project(connection.company)
    with pytest.raises(CommandError, match="Pic-Time is down"):
        call_command("pictime_resync", "--project", str(project.pk))
    assert fake_sync.calls == [("project", project.pk)]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.target_type) == (
        "pictime.resync_project",
        "failed",
        "projects.project",
    )


def test_it_refuses_a_disconnected_company(fake_sync):
    connection = make_connection(status=CompanyIntegration.Status.DISCONNECTED)
    with pytest.raises(CommandError, match="not connected"):
        call_command("pictime_resync", "--company", str(connection.company_id))
    assert fake_sync.calls == []


def test_it_refuses_unknown_ids_and_needs_exactly_one_target(fake_sync, db):
    with pytest.raises(CommandError, match="No project"):
        call_command("pictime_resync", "--project", "999999")
    with pytest.raises(CommandError, match="no Pic-Time connection"):
        call_command("pictime_resync", "--company", "999999")
    with pytest.raises(CommandError):
        call_command("pictime_resync")
    assert fake_sync.calls == []
