"""Company Settings > Integrations > Pic-Time: Connect (OAuth), Disconnect, Auto-create, defaults.

OAuth state and the PKCE verifier live in the user's session and are popped on the callback, so a
callback can be used once. Every failure comes back to the tab as a message and changes nothing.
"""

import logging
from urllib.parse import urlencode

from csp.decorators import csp_replace, csp_update
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from crm.companies.access import member_required, owner_required
from integrations.models import CompanyIntegration
from pictime.errors import AccessDenied, NotConnected, OAuthError, PicTimeError
from pictime.forms import ExpiryReminderForm, GalleryDefaultsForm, ReadyEmailForm
from pictime.models import Connection
from pictime.services import connection as connection_service
from pictime.services import ready_email as ready_email_service
from pictime.services import reminders

log = logging.getLogger(__name__)

SESSION_KEY = "pictime_oauth"


def _back():
    return redirect("settings_integrations")


@owner_required
@require_POST
def connect(request):
    try:
        url, state, verifier = connection_service.begin_authorization()
    except PicTimeError as error:
        messages.error(request, f"Couldn't start connecting to Pic-Time: {error.user_message}")
        return _back()
    request.session[SESSION_KEY] = {"state": state, "verifier": verifier}
    return redirect(url)


@owner_required
@require_GET
def callback(request):
    pending = request.session.pop(SESSION_KEY, None)
    if not pending:
        messages.error(
            request, "This Pic-Time sign-in link has expired or was already used. Click Connect to try again."
        )
        return _back()
    try:
        result = connection_service.complete_connection(
            company=request.company,
            params=request.GET,
            expected_state=pending["state"],
            code_verifier=pending["verifier"],
        )
    except AccessDenied:
        messages.warning(request, "You denied access on Pic-Time, so nothing was connected.")
        return _back()
    except OAuthError as error:
        if error.code == "invalid_state":
            messages.error(
                request,
                "That sign-in didn't come from this page (the security check failed). "
                "Nothing was connected. Click Connect to try again.",
            )
        else:
            messages.error(
                request,
                f"Pic-Time couldn't complete the connection: {error.user_message} "
                "Nothing was connected. Click Connect to try again.",
            )
        return _back()
    except PicTimeError as error:
        messages.error(
            request,
            f"Pic-Time couldn't complete the connection: {error.user_message} "
            "Nothing was connected. Click Connect to try again.",
        )
        return _back()
    connection = result.connection
    messages.success(request, f"Connected to Pic-Time as {connection.account_name}.")
    if connection.auto_create_enabled and not result.switched_account:
        messages.info(request, "Auto-create galleries is still ON, as it was before you disconnected.")
    if result.switched_account:
        messages.warning(
            request,
            "This is a different Pic-Time account than before: galleries linked from the previous "
            "account stay on their projects, marked inactive, until that account is connected again.",
        )
    if not result.webhook_ok:
        messages.warning(
            request,
            "Pic-Time didn't accept our webhook subscription; galleries will "
            "still update with the periodic sync.",
        )
    return _back()


def _connection(request):
    return Connection.objects.for_company(request.company).first()


def _connected(request, refusal):
    """The company's connection when it is connected; else None, with `refusal` shown on the tab."""
    try:
        return Connection.objects.connected(request.company)
    except NotConnected:
        messages.error(request, refusal)
        return None


@owner_required
@require_POST
def disconnect(request):
    connection = _connection(request)
    if connection is None or connection.status == CompanyIntegration.Status.DISCONNECTED:
        messages.info(request, "Pic-Time is not connected.")
        return _back()
    revoked = connection_service.disconnect(connection)
    kept = " Your settings (Auto-create galleries, defaults, email) are kept for when you connect again."
    messages.success(
        request, "Pic-Time was disconnected. Linked galleries stay on their projects, marked inactive." + kept
    )
    if not revoked:
        messages.warning(request, "Pic-Time couldn't be reached to revoke access; it will expire there.")
    return _back()


@owner_required
@require_POST
def auto_create(request):
    connection = _connected(request, "Connect Pic-Time before turning on Auto-create galleries.")
    if connection is None:
        return _back()
    enabled = request.POST.get("auto_create") == "on"
    connection_service.set_auto_create(connection, enabled)
    if enabled:
        messages.success(
            request,
            "Auto-create galleries is ON: a client's first payment in a project "
            "will create its Pic-Time gallery.",
        )
    else:
        messages.success(request, "Auto-create galleries is OFF.")
    return _back()


def _refused(request, form):
    """Each error of the refused form as a message on the tab, after its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else errors[0])


def _email_form(request, form_class):
    """(the company's connection, the email's settings form bound to the POST and valid); (None,
    None) when Pic-Time is not connected or the form is refused, each said on the tab."""
    connection = _connected(request, "Connect Pic-Time first.")
    if connection is None:
        return None, None
    form = form_class(request.POST)
    if not form.is_valid():
        _refused(request, form)
        return None, None
    return connection, form


def _on_off(enabled):
    return "ON" if enabled else "OFF"


@owner_required
@require_POST
def gallery_defaults(request):
    connection = _connected(request, "Connect Pic-Time first.")
    if connection is None:
        return _back()
    form = GalleryDefaultsForm(request.POST, connection=connection)
    if not form.is_valid():
        _refused(request, form)
        return _back()
    connection_service.save_gallery_defaults(
        connection,
        brand_id=form.cleaned_data["default_brand_id"],
        preset_id=form.cleaned_data["default_preset_id"],
        portal_intro=form.cleaned_data["portal_intro"],
    )
    messages.success(request, "Gallery defaults saved.")
    return _back()


@owner_required
@require_POST
def ready_email(request):
    """Email clients when a gallery is published: on/off, subject, message and sign-off."""
    connection, form = _email_form(request, ReadyEmailForm)
    if form is not None:
        settings = form.settings()
        connection_service.save_ready_email(connection, **settings)
        switch = form.fields["ready_email_enabled"].label
        messages.success(request, f"Gallery ready email saved: {switch} is {_on_off(settings['enabled'])}.")
    return _back()


@owner_required
@require_POST
def expiry_reminder(request):
    """Email clients before a gallery expires: on/off, days before, subject and message."""
    connection, form = _email_form(request, ExpiryReminderForm)
    if form is not None:
        settings = form.settings()
        reminders.save_settings(connection, **settings)
        switch = form.fields["reminder_email_enabled"].label
        messages.success(request, f"Expiry reminder saved: {switch} is {_on_off(settings['enabled'])}.")
    return _back()


# The emails that share the preview: the form field prefix and the service that renders each.
PREVIEWS = {
    "ready": (ReadyEmailForm, "ready_email", ready_email_service.preview),
    "expiry_reminder": (ExpiryReminderForm, "reminder_email", reminders.preview),
}


def _preview(request, data):
    """The email as a client would read it, with the subject and message being typed (not saved)."""
    connection = _connection(request)
    if connection is None:
        return None
    kind = data.get("email") if data.get("email") in PREVIEWS else "ready"
    form_class, prefix, render_preview = PREVIEWS[kind]
    form = form_class(data)
    form.is_valid()
    subject = form.cleaned_data.get(f"{prefix}_subject") or getattr(connection, f"{prefix}_subject")
    message = form.cleaned_data.get(f"{prefix}_message") or getattr(connection, f"{prefix}_message")
    typed = {"email": kind, f"{prefix}_subject": subject, f"{prefix}_message": message}
    # The studio's sign-off closes both emails and is set with the ready email. An empty one is a
    # choice (none): only a request without the field falls back to the saved one.
    signoff = connection.ready_email_signoff
    if "ready_email_signoff" in data:
        signoff = typed["ready_email_signoff"] = form.cleaned_data.get("ready_email_signoff", "")
    email, html = render_preview(request.company, subject=subject, message=message, signoff=signoff)
    return email, html, typed


@member_required
@require_POST
def ready_email_preview(request):
    """The preview's frame: the subject, and the email itself loaded from ready_email_preview_body."""
    preview = _preview(request, request.POST)
    if preview is None:
        return HttpResponse(status=204)
    email, _html, typed = preview
    return render(request, "pictime/ready_email_preview.html", {"email": email, "query": urlencode(typed)})


@member_required
@require_GET
@csp_update({"style-src": ["'unsafe-inline'"]})  # an email's HTML is styled inline, as mail clients need
# Shown in the Integrations tab's frame: framed by our own pages only (every other response: none).
@csp_replace({"frame-ancestors": ["'self'"]})
@xframe_options_sameorigin
def ready_email_preview_body(request):
    preview = _preview(request, request.GET)
    if preview is None:
        return HttpResponse(status=204)
    return HttpResponse(preview[1])
