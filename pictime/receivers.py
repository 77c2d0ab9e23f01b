"""What pictime does when the CRM (which knows nothing of pictime) or pictime's own lower layers
say something happened."""

from django.dispatch import receiver

from crm.payments.signals import project_first_paid
from pictime.services.queue import autocreate_for_first_payment, resume_waiting_jobs
from pictime.signals import grant_refreshed


@receiver(project_first_paid, dispatch_uid="pictime-autocreate-on-first-payment")
def autocreate_on_first_payment(sender, project_id, payment_id, company_id, **kwargs):
    """A project's first payment, in its transaction: the auto-create job is recorded with it when
    auto-create applies; its task is sent after commit."""
    autocreate_for_first_payment(project_id, payment_id)


@receiver(grant_refreshed, dispatch_uid="pictime-resume-autocreates-on-refresh")
def resume_autocreates_on_refresh(sender, connection, **kwargs):
    """The grant works again: auto-creates that waited for a reconnection run now."""
    resume_waiting_jobs(connection)
