"""What pictime does when the CRM (which knows nothing of pictime) or pictime's own lower layers
say something happened."""

from django.db import transaction
from django.dispatch import receiver

from crm.celery import publish
from crm.payments.signals import project_first_paid
from pictime.services.queue import autocreate_for_first_payment, resume_waiting_jobs
from pictime.signals import grant_refreshed, refresh_unanswered
from pictime.tasks import finish_refresh


@receiver(project_first_paid, dispatch_uid="pictime-autocreate-on-first-payment")
def autocreate_on_first_payment(sender, project_id, payment_id, company_id, **kwargs):
    """A project's first payment, in its transaction: the auto-create job is recorded with it when
    auto-create applies; its task is sent after commit."""
    autocreate_for_first_payment(project_id, payment_id)


@receiver(grant_refreshed, dispatch_uid="pictime-resume-autocreates-on-refresh")
def resume_autocreates_on_refresh(sender, connection, **kwargs):
    """The grant works again: auto-creates that waited for a reconnection run now."""
    resume_waiting_jobs(connection)


@receiver(refresh_unanswered, dispatch_uid="pictime-finish-refresh-in-a-worker")
def finish_refresh_in_a_worker(sender, connection, **kwargs):
    """The request gave up on a refresh whose answers were lost: a worker asks again in the grace."""
    connection_id = connection.pk
    # A lost message (the broker down) is sent again by the beat's sweep (services.pending); until
    # a worker asks, requests answer "retrying", and past the grace's margin nobody sends the token.
    transaction.on_commit(lambda: publish(finish_refresh, connection_id))
