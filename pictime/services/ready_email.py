"""The "gallery ready" email: when a linked gallery is first published, the project's client gets
one email from the studio (cover, name, a button to the gallery, the client-portal link, the
studio's own text), and the project moves to Delivered.

Exactly once per link: the send is claimed by a conditional UPDATE of the link's
``ready_email_status`` (empty or failed → sending) that also requires the gallery to be online,
not expired, not deleted and the link active, so a gallery taken offline before the email goes
out gets none, and publish → offline → publish sends nothing more. A send interrupted by a dead
worker stays "sending": we prefer no second email to a duplicate. The work is recorded on the link
(``ready_email_due_at``, services.pending) with the publication, so a lost message is sent again.
"""

import logging
import re
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crm.clients.models import Client
from crm.projects.activity import log_activity
from crm.projects.models import Activity
from crm.projects.services import mark_delivered
from pictime.models import Connection, GalleryLink, ReadyEmail, touch_projects

log = logging.getLogger(__name__)

PLACEHOLDERS = ("first_name", "client_name", "gallery_name", "project_name", "studio_name")


class SendFailed(Exception):
    """The mail server refused or could not be reached: worth another try later."""


def handle_published(link_id: int) -> str:
    """The project moves to Delivered, then the email is sent (once). Returns the email's status."""
    link = (
        GalleryLink.objects.filter(pk=link_id)
        .only("company_id", "project_id", "status", "deleted_at")
        .first()
    )
    if link is None:
        return "missing"
    if link.is_online:
        mark_delivered(link.company_id, link.project_id)
    return send(link_id)


def _sendable(now):
    """Links whose gallery clients can see right now."""
    return Q(status=GalleryLink.Status.ONLINE, deleted_at__isnull=True, is_active=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def email_link(link_id: int) -> GalleryLink | None:
    """The link with what an email to its client reads (project, client, studio, settings); shared
    with the expiry reminder."""
    return (
        GalleryLink.objects.select_related("project__client", "company", "connection")
        .filter(pk=link_id)
        .first()
    )


def send(link_id: int) -> str:
    """Sends the email for the link if it is due; raises SendFailed (status "failed", shown in the
    panel and the feed) when the mail server fails, for the task to retry."""
    now = timezone.now()
    link = email_link(link_id)
    if link is None:
        return "missing"
    unclaimed = Q(ready_email_status="") | Q(ready_email_status=ReadyEmail.FAILED)
    due = GalleryLink.objects.filter(unclaimed, _sendable(now), pk=link.pk)
    recipient = (link.project.client.email or "").strip()
    if not link.connection.ready_email_enabled or not recipient:
        # Decided once: a gallery published while it was off gets no email later either.
        reason = "Turned off in Integrations" if recipient else "The client has no email address"
        if due.filter(ready_email_status="").update(
            ready_email_status=ReadyEmail.SKIPPED, ready_email_error=reason, ready_email_at=now
        ):
            touch_projects([link.project_id])
        return ReadyEmail.SKIPPED
    if not due.update(ready_email_status=ReadyEmail.SENDING, ready_email_to=recipient, ready_email_at=now):
        return link.ready_email_status or "not_due"
    touch_projects([link.project_id])
    link.refresh_from_db()
    deliver(build_message(link.connection, link, recipient), link, "ready_email")
    GalleryLink.objects.filter(pk=link.pk).update(
        ready_email_status=ReadyEmail.SENT, ready_email_error="", ready_email_at=timezone.now()
    )
    touch_projects([link.project_id])
    log_activity(link.project, Activity.Kind.INTEGRATION, f"Gallery ready email sent to {recipient}")
    return ReadyEmail.SENT


def deliver(message: EmailMultiAlternatives, link: GalleryLink, prefix: str) -> None:
    """Sends a link's email; when the mail server fails, records it on the link's `<prefix>_status`
    and `_error` (the panel reads them) and raises SendFailed for the task to retry. Shared with
    the expiry reminder (prefix "reminder")."""
    try:
        message.send()
    except Exception as error:  # SMTP errors, refused connections, timeouts: all worth a retry
        text = f"{type(error).__name__}: {error}"[:300]
        log.warning(f"pictime.{prefix}.failed", extra={"link": link.pk, "error": text})
        GalleryLink.objects.filter(pk=link.pk).update(
            **{f"{prefix}_status": ReadyEmail.FAILED, f"{prefix}_error": text, f"{prefix}_at": timezone.now()}
        )
        touch_projects([link.project_id])
        raise SendFailed(text) from error


def record_failure(link_id: int, *, final: bool, prefix="ready_email", what="Gallery ready email") -> None:
    """The feed line of a failed send: once per attempt, saying whether another one follows."""
    link = GalleryLink.objects.select_related("project").filter(pk=link_id).first()
    if link is None:
        return
    then = "It was not sent." if final else "Trying again shortly."
    to, error = getattr(link, f"{prefix}_to"), getattr(link, f"{prefix}_error")
    log_activity(link.project, Activity.Kind.INTEGRATION, f"{what} to {to} failed ({error}). {then}")


# --------------------------------------------------------------------------- the message
@dataclass
class EmailContent:
    subject: str
    intro: str
    signoff: str
    gallery_name: str
    gallery_url: str
    cover_url: str
    portal_url: str
    studio_name: str
    # The expiry reminder (services.reminders) shares this message with its own button and date.
    button: str = "View your gallery"
    closes_on: str = ""


def fill(template: str, values: dict) -> str:
    """The studio's text with {first_name}, {client_name}, {gallery_name}, {project_name},
    {studio_name} filled in; any other brace is left as typed."""
    return re.sub(
        r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template
    )


def portal_url(project) -> str:
    portal = project.get_portal_url() if project else None
    return settings.SITE_URL + portal if portal else ""


def content(
    *,
    subject,
    message,
    signoff,
    gallery_name,
    gallery_url,
    cover_url,
    project,
    client,
    studio_name,
    more: dict | None = None,
    **shown,
) -> EmailContent:
    """The email with the studio's text filled in. `more`: further placeholders, `shown`: further
    fields of the message (the expiry reminder's)."""
    values = {
        "first_name": client.greeting_name,
        "client_name": client.name,
        "gallery_name": gallery_name,
        "project_name": project.name if project else gallery_name,
        "studio_name": studio_name,
        **(more or {}),
    }
    return EmailContent(
        subject=" ".join(fill(subject, values).split())[:200],
        intro=fill(message, values),
        signoff=fill(signoff, values),
        gallery_name=gallery_name,
        gallery_url=gallery_url,
        cover_url=cover_url,
        portal_url=portal_url(project),
        studio_name=studio_name,
        **shown,
    )


def gallery_fields(link: GalleryLink | None, studio_name: str) -> dict:
    """What an email says of the link's gallery, project and client; a sample gallery for a preview
    when the company has none. Shared with the expiry reminder."""
    if link is None:
        return {
            "gallery_name": "Bella & Ben Wedding",
            "gallery_url": "#",
            "cover_url": "",
            "project": None,
            "client": Client(name="Bella Bride"),
            "studio_name": studio_name,
        }
    return {
        "gallery_name": link.name,
        "gallery_url": link.public_url,
        "cover_url": link.cover_url,
        "project": link.project,
        "client": link.project.client,
        "studio_name": studio_name,
    }


def link_content(connection: Connection, link: GalleryLink) -> EmailContent:
    return content(
        subject=connection.ready_email_subject,
        message=connection.ready_email_message,
        signoff=connection.ready_email_signoff,
        **gallery_fields(link, link.company.name),
    )


def render(email: EmailContent) -> tuple[str, str]:
    """(text, html) bodies."""
    context = {"email": email}
    return (
        render_to_string("pictime/email/gallery_ready.txt", context),
        render_to_string("pictime/email/gallery_ready.html", context),
    )


def build_message(
    connection: Connection, link: GalleryLink, recipient: str, email: EmailContent | None = None
) -> EmailMultiAlternatives:
    email = email or link_content(connection, link)
    with translation.override(link.company.language):  # written the studio's way, as its pages are
        text, html = render(email)
    # From the studio (its name, our sending address); replies go to the studio.
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    company = link.company
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text,
        from_email=formataddr((company.name, address or settings.DEFAULT_FROM_EMAIL)),
        to=[recipient],
        reply_to=[company.email] if company.email else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def preview(company, *, subject: str, message: str, signoff: str) -> tuple[EmailContent, str]:
    """The email as a client would read it, for the company's newest linked gallery (or a sample
    one when it has none): (content, html)."""
    link = (
        GalleryLink.objects.for_company(company)
        .select_related("project__client")
        .order_by("-created_at", "-id")
        .first()
    )
    email = content(subject=subject, message=message, signoff=signoff, **gallery_fields(link, company.name))
    return email, render(email)[1]
