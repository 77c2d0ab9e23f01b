"""What pictime does when the CRM (which knows nothing of pictime) or pictime's own lower layers
say something happened."""

import logging

from django.db import transaction
from django.dispatch import receiver

from crm.payments.signals import project_first_paid
from pictime.services.queue import resume_waiting_jobs
from pictime.signals import grant_refreshed, refresh_unanswered
from pictime.tasks import autocreate_gallery, finish_refresh

log = logging.getLogger(__name__)


@receiver(project_first_paid, dispatch_uid="pictime-autocreate-on-first-payment")
def autocreate_on_first_payment(sender, project_id, payment_id, company_id, **kwargs):
    """A project's first payment: the auto-create task decides (by ids) and does the rest."""
    transaction.on_commit(lambda: autocreate_gallery.delay(project_id, payment_id))


@receiver(grant_refreshed, dispatch_uid="pictime-resume-autocreates-on-refresh")
def resume_autocreates_on_refresh(sender, connection, **kwargs):
    """The grant works again: auto-creates that waited for a reconnection run now."""
    resume_waiting_jobs(connection)


@receiver(refresh_unanswered, dispatch_uid="pictime-finish-refresh-in-a-worker")
def finish_refresh_in_a_worker(sender, connection, **kwargs):
    """The request gave up on a refresh whose answers were lost: a worker asks again in the grace."""
    connection_id = connection.pk

    def queue():
        try:
            finish_refresh.delay(connection_id)
        except Exception:  # the broker is down: the next request after the grace asks to reconnect
            log.exception("pictime.token.finish_refresh_not_queued", extra={"connection": connection_id})

    transaction.on_commit(queue)
