"""Resync a company's Pic-Time galleries and orders, or one project's, by hand.

    python manage.py pictime_resync --company 12
    python manage.py pictime_resync --project 345

Runs the sync service in this process (not on a worker), prints what it did, and writes an entry
to the audit trail. Exits non-zero when the company is not connected or the sync failed.
"""

from django.core.management.base import BaseCommand, CommandError

from crm.audit.models import AuditEntry
from crm.audit.services import record
from crm.projects.models import Project
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.services.sync import sync_links

ACTOR = "manage.py pictime_resync"


def _summary(run: SyncRun) -> str:
    return f"sync run {run.pk} {run.status}: {run.counts}" + (f"; error: {run.error}" if run.error else "")


class Command(BaseCommand):
    help = "Resync a company's Pic-Time galleries and orders (--company ID) or one project's (--project ID)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--company", type=int, help="the company's id")
        target.add_argument("--project", type=int, help="the project's id")

    def handle(self, *args, company=None, project=None, **options):
        links, scope = None, None  # the whole company
        if project is not None:
            scope = Project.objects.filter(pk=project).first()
            if scope is None:
                raise CommandError(f"No project with id {project}.")
            connection = Connection.objects.for_company(scope.company_id).first()
            links = GalleryLink.objects.for_company(scope.company_id).filter(project=scope)
            target, action = scope, "pictime.resync_project"
        else:
            connection = Connection.objects.for_company(company).select_related("company").first()
            if connection is None:
                raise CommandError(f"Company {company} has no Pic-Time connection.")
            target, action = connection, "pictime.resync_company"
        if connection is None or not connection.is_connected:
            status = connection.integration.get_status_display() if connection else "Not connected"
            raise CommandError(f"Pic-Time is not connected for this company ({status}).")

        try:
            run = sync_links(connection, links, SyncRun.Trigger.COMMAND, project=scope)
        except Exception as error:
            record(
                actor=ACTOR,
                action=action,
                target=target,
                outcome=AuditEntry.Outcome.FAILED,
                message=str(error),
            )
            raise CommandError(f"The sync failed: {error}") from error

        failed = run.status == SyncRun.Status.FAILED
        summary = _summary(run)
        record(
            actor=ACTOR,
            action=action,
            target=target,
            outcome=AuditEntry.Outcome.FAILED if failed else AuditEntry.Outcome.SUCCEEDED,
            message=summary,
            details={"sync_run": run.pk},
        )
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
