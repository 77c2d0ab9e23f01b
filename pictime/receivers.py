"""What pictime does when the CRM says something happened (crm knows nothing of pictime)."""

from django.db import transaction
from django.dispatch import receiver

from crm.payments.signals import project_first_paid
from pictime.tasks import autocreate_gallery


@receiver(project_first_paid, dispatch_uid="pictime-autocreate-on-first-payment")
def autocreate_on_first_payment(sender, project_id, payment_id, company_id, **kwargs):
    """A project's first payment: the auto-create task decides (by ids) and does the rest."""
    transaction.on_commit(lambda: autocreate_gallery.delay(project_id, payment_id))
