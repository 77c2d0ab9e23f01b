"""Signals other apps listen to; crm knows nothing of who listens (integrations do)."""

from django.dispatch import Signal

# Sent after commit, exactly once per project, for its first successful payment.
# Arguments: project_id, payment_id, company_id.
project_first_paid = Signal()
