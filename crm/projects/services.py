"""Use cases of projects: create, update, the workspace's read, and the client portal's private link."""

from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone

from crm.clients.models import Client
from crm.payments.services import overdue_amount, project_invoices_and_payments

from .activity import log_activity, recent_activities
from .models import Activity, Project, new_portal_token


def create_project(*, company, client: Client, name: str, type: str, event_date=None, location="") -> Project:
    assert client.company_id == company.pk, "a project's client belongs to the same company"
    with transaction.atomic():
        project = Project.objects.create(
            company=company, client=client, name=name, type=type, event_date=event_date, location=location
        )
        log_activity(project, Activity.Kind.PROJECT_CREATED, f"Project created for {client.name}")
    return project


def project_list(company, stage=None, client=None):
    """The company's projects for the Projects page (of one stage, if a valid one is given; of one
    of its clients, if given), each with `overdue`: what its client should have paid by now, or
    None. One query."""
    projects = (
        Project.objects.for_company(company)
        .select_related("client")
        .annotate(overdue=overdue_amount(OuterRef("pk"), timezone.localdate()))
    )
    if stage in Project.Stage.values:
        projects = projects.filter(stage=stage)
    if client is not None:
        projects = projects.filter(client=client)
    return projects


def workspace(company, project_pk) -> dict:
    """The company's project as its workspace shows it, with its client and company, its invoices
    (each with its `schedule`), payments and newest activity. Project.DoesNotExist for a project
    of another company.

    A fixed number of queries however many invoices, payments and lines there are."""
    project = Project.objects.for_company(company).select_related("client", "company").get(pk=project_pk)
    invoices, payments = project_invoices_and_payments(project)
    return {
        "project": project,
        "invoices": invoices,
        "payments": payments,
        "activities": recent_activities(project),
    }


def update_project(project: Project, **fields) -> Project:
    # The stored stage, not the instance's: a ModelForm has already copied its data onto the instance.
    old_stage = Project.objects.filter(pk=project.pk).values_list("stage", flat=True).first()
    for name, value in fields.items():
        setattr(project, name, value)
    with transaction.atomic():
        project.save()
        if project.stage != old_stage:
            log_activity(
                project, Activity.Kind.STAGE_CHANGED, f"Stage changed to {project.get_stage_display()}"
            )
    return project


def save_private_notes(project: Project, notes: str) -> Project:
    project.private_notes = notes
    project.save(update_fields=["private_notes", "updated_at"])
    return project


def revoke_portal_link(project: Project) -> Project:
    """The old link stops working at once; a new one can be issued."""
    project.portal_token = None
    project.save(update_fields=["portal_token", "updated_at"])
    log_activity(project, Activity.Kind.PORTAL_LINK, "Client portal link revoked")
    return project


def issue_portal_link(project: Project) -> Project:
    project.portal_token = new_portal_token()
    project.save(update_fields=["portal_token", "updated_at"])
    log_activity(project, Activity.Kind.PORTAL_LINK, "New client portal link issued")
    return project


# Stages a project leaves for Delivered when its photos are delivered; later ones are kept.
BEFORE_DELIVERY = (
    Project.Stage.INQUIRY,
    Project.Stage.PROPOSAL_SENT,
    Project.Stage.BOOKED,
    Project.Stage.SHOOT_DONE,
    Project.Stage.EDITING,
)


def mark_delivered(company_id: int, project_id: int) -> bool:
    """Moves the project to Delivered, once (a conditional UPDATE), unless it is already there or
    beyond (Completed, Archived). Returns whether it moved."""
    with transaction.atomic():
        moved = (
            Project.objects.for_company(company_id)
            .filter(pk=project_id, stage__in=BEFORE_DELIVERY)
            .update(stage=Project.Stage.DELIVERED, updated_at=timezone.now())
        )
        if moved:
            project = Project.objects.get(pk=project_id)
            log_activity(project, Activity.Kind.STAGE_CHANGED, "Stage changed to Delivered")
    return bool(moved)
