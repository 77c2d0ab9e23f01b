"""Signals other apps listen to; crm knows nothing of who listens (integrations do)."""

from django.dispatch import Signal

# Sent exactly once per project, for its first successful payment, INSIDE the payment's transaction:
# what the payment must cause is recorded by the receivers with it (or rolled back with it); a
# receiver does anything outside the database (a task's message) with transaction.on_commit.
# Arguments: project_id, payment_id, company_id, paid_at (the payment's, now the project's first_paid_at).
project_first_paid = Signal()
