"""What support reads in the admin about a row's pending work: what waits for a worker, how many
tries of it failed, and when it is tried or sent again (the counts the rows keep: services.pending,
services.autocreate)."""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from .models import AutoCreateJob
from .services.autocreate import max_attempts

# A link's kinds of pending work: (its field prefix, what support reads).
LINK_WORK = [("orders", "Earlier orders' fetch"), ("ready_email", "Gallery-ready email")]


def _at(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _tries(count: int, failed: bool = False) -> str:
    return f"{count} {'failed ' if failed else ''}tr{'y' if count == 1 else 'ies'}"


def link_work(link, prefix: str, what: str) -> str:
    """One kind of the link's work: "" when it is neither waiting nor given up."""
    due, failures = getattr(link, f"{prefix}_due_at"), getattr(link, f"{prefix}_attempts")
    if due is not None:
        tried = f" after {_tries(failures, failed=True)}" if failures else ""
        return f"{what}: waiting for a worker{tried}; sent again at {_at(due)} if not done by then"
    if failures:
        return f"{what}: given up after {_tries(failures, failed=True)}"
    return ""


def link_pending_work(link) -> str:
    return "; ".join(filter(None, (link_work(link, prefix, what) for prefix, what in LINK_WORK))) or "—"


def job_pending_work(job) -> str:
    Status = AutoCreateJob.Status
    tries, limit = job.attempts, max_attempts()
    if job.status == Status.PENDING:
        when = f"; sent again at {_at(job.next_attempt_at)} if none takes it" if job.next_attempt_at else ""
        return f"Waiting for a worker ({tries} of {limit} tries made){when}"
    if job.status == Status.RUNNING:
        return f"A worker is creating the gallery: try {tries} of {limit}"
    if job.status == Status.RETRYING:
        when = f" at {_at(job.next_attempt_at)}" if job.next_attempt_at else " soon"
        return f"Try {tries} of {limit} failed; next try{when}"
    if job.status == Status.WAITING_RECONNECT:
        return f"Waits for Pic-Time to be reconnected ({_tries(tries)} made)"
    if job.status == Status.FAILED:
        return f"Given up after {_tries(tries)}: select it and run “Retry the failed auto-create”"
    return "—"


class LinkPendingWorkFilter(admin.SimpleListFilter):
    """Links whose work waits for a worker, or whose work was given up."""

    title = "pending work"
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for a worker"), ("given_up", "Given up")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(Q(orders_due_at__isnull=False) | Q(ready_email_due_at__isnull=False))
        if self.value() == "given_up":
            return queryset.filter(
                Q(orders_due_at__isnull=True, orders_attempts__gt=0)
                | Q(ready_email_due_at__isnull=True, ready_email_attempts__gt=0)
            )
        return queryset


class PendingWorkFirst:
    """A row's change page with its pending work first (the admin's `pending_work`): what support
    looks for. Every other field follows, as the admin lists them."""

    readonly_fields = ["pending_work"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return ["pending_work", *(name for name in fields if name != "pending_work")]
