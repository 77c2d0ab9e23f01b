"""record(): one line of the audit trail."""

import logging

from .models import AuditEntry

log = logging.getLogger(__name__)


def _actor_repr(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username() or f"user {actor.pk}"


def record(*, actor, action: str, target, outcome: str, message: str = "", company=None, details=None):
    """Writes who (a user, or a string such as "manage.py"), what (`action`), on which `target`
    (a model instance), and how it ended (`AuditEntry.Outcome`). `company` defaults to the
    target's company when it has one."""
    if company is None:
        company_id = getattr(target, "company_id", None)
    else:
        company_id = company.pk
    entry = AuditEntry.objects.create(
        actor=actor if actor is not None and not isinstance(actor, str) else None,
        actor_repr=_actor_repr(actor)[:254],
        action=action,
        company_id=company_id,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        target_repr=str(target)[:300],
        outcome=outcome,
        message=message,
        details=details or {},
    )
    log.info(
        "audit.%s",
        action,
        extra={
            "actor": entry.actor_repr,
            "target": f"{entry.target_type}:{entry.target_id}",
            "outcome": outcome,
        },
    )
    return entry
