"""The expiry reminder email: before a linked gallery expires, the project's client gets one email
from the studio (the gallery, its closing date, its link and the client-portal link, under the
studio's text), because that is when clients order prints.

Once per gallery and expiry date: the link keeps the expiry date its reminder was sent for
(``reminder_expires_at``), so a later run sends nothing and a changed expiry date makes it due again.
What is due lives in the database, not in a message: the beat job (``due_links``) finds the links
whose gallery is online, not expired, not deleted and within the company's "days before", and the
send claims the link with a conditional UPDATE, so a lost or repeated message loses or doubles
nothing. **Remind client** writes ``reminder_requested_at`` (at most once a day per gallery), which
the same send and sweep honour. As with the ready email, a send interrupted by a dead worker stays
"sending": we prefer no second email to a duplicate.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format

from crm.projects.activity import log_activity
from crm.projects.models import Activity
from pictime.models import Connection, GalleryLink, ReadyEmail, touch_projects
from pictime.services import ready_email
from pictime.services.ready_email import EmailContent
from pictime.signals import reminder_requested

# What the studio's subject and message may name (the ready email's, and the expiry and the links).
PLACEHOLDERS = (
    *ready_email.PLACEHOLDERS,
    "expiry_date",
    "days_left",
    "gallery_url",
    "portal_url",
)
# Remind client sends at most once in this long per gallery.
MANUAL_INTERVAL = datetime.timedelta(days=1)
# The sweep leaves a failed send to its task's own retries for this long before trying it again.
FAILED_RETRY_AFTER = datetime.timedelta(minutes=30)
BATCH = 500  # links queued by one run of the sweep; the next run takes the rest


def closes_on(expires_at) -> str:
    """ "Dec 10, 2026": the expiry date as the pages write dates."""
    return date_format(timezone.localtime(expires_at), "M j, Y")


# --------------------------------------------------------------------------- what is due
def _window(now):
    """Links of companies with reminders on whose gallery expires within their "days before": one
    term per distinct setting (a handful), so the database compares plain dates."""
    days = (
        Connection.objects.filter(reminder_email_enabled=True)
        .values_list("reminder_days_before", flat=True)
        .distinct()
    )
    window = Q(pk__in=[])
    for n in days:
        window |= Q(
            connection__reminder_email_enabled=True,
            connection__reminder_days_before=n,
            expires_at__lte=now + datetime.timedelta(days=n),
        )
    return window


def _claimable(now):
    """Links whose reminder may be sent now: the gallery is visible to clients, no send is running,
    and Remind client asked for it, or it is in the window and this expiry date has none yet (or
    its send failed)."""
    new_expiry = (
        Q(reminder_expires_at__isnull=True)
        | Q(reminder_expires_at__lt=F("expires_at"))
        | Q(reminder_expires_at__gt=F("expires_at"))
    )
    return (
        ready_email._sendable(now)
        & Q(expires_at__isnull=False)
        & ~Q(reminder_status=ReadyEmail.SENDING)
        & (
            # A request a day old is dropped: its gallery went offline meanwhile, say.
            Q(reminder_requested_at__gt=now - MANUAL_INTERVAL)
            | (_window(now) & (new_expiry | Q(reminder_status=ReadyEmail.FAILED)))
        )
    )


def due_links(now=None) -> list[int]:
    """The beat's sweep: ids of links whose reminder is due (a failed one once its task's retries
    have had their turn)."""
    now = now or timezone.now()
    recent_failure = Q(reminder_status=ReadyEmail.FAILED, reminder_at__gt=now - FAILED_RETRY_AFTER)
    return list(
        GalleryLink.objects.filter(_claimable(now))
        .exclude(recent_failure)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )


# --------------------------------------------------------------------------- sending
def send(link_id: int, now=None) -> str:
    """Sends the link's reminder if it is due; raises SendFailed (status "failed", shown in the
    panel and the feed) when the mail server fails, for the task to retry."""
    now = now or timezone.now()
    link = ready_email.email_link(link_id)
    if link is None:
        return "missing"
    claim = GalleryLink.objects.filter(_claimable(now), pk=link.pk)
    recipient = (link.project.client.email or "").strip()
    if not recipient:
        claim.update(
            reminder_status=ReadyEmail.SKIPPED,
            reminder_error="The client has no email address",
            reminder_expires_at=F("expires_at"),
            reminder_requested_at=None,
            reminder_at=now,
        )
        return ReadyEmail.SKIPPED
    claimed = claim.update(
        reminder_status=ReadyEmail.SENDING,
        reminder_expires_at=F("expires_at"),
        reminder_to=recipient,
        reminder_at=now,
    )
    if not claimed:
        return "not_due"
    link.refresh_from_db()
    email = link_content(link.connection, link)
    ready_email.deliver(ready_email.build_message(link.connection, link, recipient, email), link, "reminder")
    GalleryLink.objects.filter(pk=link.pk).update(
        reminder_status=ReadyEmail.SENT,
        reminder_error="",
        reminder_requested_at=None,
        reminder_at=timezone.now(),
    )
    touch_projects([link.project_id])
    log_activity(
        link.project,
        Activity.Kind.INTEGRATION,
        f"Expiry reminder for “{link.name}” (closes {email.closes_on}) sent to {recipient}",
    )
    return ReadyEmail.SENT


def record_failure(link_id: int, *, final: bool) -> None:
    """The feed line of a failed send: once per attempt, saying whether another one follows."""
    ready_email.record_failure(link_id, final=final, prefix="reminder", what="Expiry reminder")


# --------------------------------------------------------------------------- Remind client
@dataclass
class Reminded:
    outcome: str  # "queued", "already_sent", "pending" or "not_sendable"
    link: GalleryLink
    message: str


def remind_now(company, link_pk: int, now=None) -> Reminded:
    """Remind client: the reminder goes out at once, at most once a day per gallery. Raises
    GalleryLink.DoesNotExist for another company's link."""
    now = now or timezone.now()
    link = GalleryLink.objects.for_company(company).select_related("project__client").get(pk=link_pk)
    client = link.project.client
    if (
        link.reminder_status == ReadyEmail.SENT
        and link.reminder_at
        and link.reminder_at > now - MANUAL_INTERVAL
    ):
        when = date_format(timezone.localtime(link.reminder_at), "M j, H:i")
        return Reminded(
            "already_sent",
            link,
            f"A reminder for “{link.name}” was already sent to {link.reminder_to} on {when}. "
            "You can send another one tomorrow.",
        )
    pending = link.reminder_requested_at and link.reminder_requested_at > now - MANUAL_INTERVAL
    if pending or link.reminder_status == ReadyEmail.SENDING:
        return Reminded("pending", link, f"The reminder for “{link.name}” is already on its way.")
    visible = GalleryLink.objects.filter(ready_email._sendable(now), expires_at__isnull=False, pk=link.pk)
    if not visible.exists():
        return Reminded(
            "not_sendable",
            link,
            f"“{link.name}” is not online with an expiry date ahead, so there is nothing to remind "
            f"{client.name} of.",
        )
    if not client.email:
        return Reminded("not_sendable", link, f"{client.name} has no email address: add one to the client.")
    # The conditional UPDATE is the once-a-day rule when two clicks race.
    requested = (
        GalleryLink.objects.filter(pk=link.pk)
        .filter(Q(reminder_requested_at__isnull=True) | Q(reminder_requested_at__lte=now - MANUAL_INTERVAL))
        .exclude(reminder_status=ReadyEmail.SENDING)
        .exclude(reminder_status=ReadyEmail.SENT, reminder_at__gt=now - MANUAL_INTERVAL)
        .update(reminder_requested_at=now)
    )
    if not requested:
        return Reminded("pending", link, f"The reminder for “{link.name}” is already on its way.")
    reminder_requested.send(sender=GalleryLink, link_id=link.pk)  # a worker sends it after commit
    return Reminded("queued", link, f"Reminder for “{link.name}” sent to {client.email}.")


# --------------------------------------------------------------------------- the message
def content(*, expires_at, **fields) -> EmailContent:
    """The ready email's message (ready_email.content) with the expiry: its date, the days left, and
    the gallery's and the portal's links as placeholders too."""
    expiry_date = closes_on(expires_at)
    more = {
        "expiry_date": expiry_date,
        "days_left": max(0, (timezone.localdate(expires_at) - timezone.localdate(timezone.now())).days),
        "gallery_url": fields["gallery_url"],
        "portal_url": ready_email.portal_url(fields["project"]),
    }
    return ready_email.content(**fields, more=more, button="Open your gallery", closes_on=expiry_date)


def link_content(connection: Connection, link: GalleryLink) -> EmailContent:
    return content(
        subject=connection.reminder_email_subject,
        message=connection.reminder_email_message,
        signoff=connection.ready_email_signoff,  # the studio's sign-off, set with the ready email
        expires_at=link.expires_at,
        **ready_email.gallery_fields(link, link.company.name),
    )


def preview(company, *, subject: str, message: str, signoff: str) -> tuple[EmailContent, str]:
    """The reminder as a client would read it, for the company's next gallery to expire (or its
    newest one, or a sample): (content, html)."""
    links = GalleryLink.objects.for_company(company).select_related("project__client")
    link = (
        links.filter(expires_at__gt=timezone.now()).order_by("expires_at", "id").first()
        or links.order_by("-created_at", "-id").first()
    )
    expires_at = (link and link.expires_at) or timezone.now() + datetime.timedelta(days=7)
    email = content(
        subject=subject,
        message=message,
        signoff=signoff,
        expires_at=expires_at,
        **ready_email.gallery_fields(link, company.name),
    )
    return email, ready_email.render(email)[1]


def save_settings(connection: Connection, *, enabled: bool, days_before: int, subject: str, message: str):
    Connection.objects.filter(pk=connection.pk).update(
        reminder_email_enabled=enabled,
        reminder_days_before=days_before,
        reminder_email_subject=subject,
        reminder_email_message=message,
        updated_at=timezone.now(),
    )
