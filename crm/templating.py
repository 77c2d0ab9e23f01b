"""The Jinja2 environment the CRM's pages (templates/) render with.

Jinja2 compiles a template to Python code, so a page renders several times faster than with the
Django template language; the project workspace, which shows a row of actions per linked Pic-Time
gallery, is the page that needs it (bench/workspace_bench.py). The admin and the API's browsable
pages keep the Django template language (the second engine in settings.TEMPLATES).

Values print as the Django template language prints them, so pages read the same: dates and
numbers localized, aware times in the current time zone, and `date`/`time` filters that take
Django's format strings.
"""

import datetime
import functools
from datetime import timedelta

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import format_html, json_script
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined

from crm.money import format_money
from integrations.slots import portal_sections, workspace_panels


def url(name, *args, **kwargs):
    """`{{ url('project_edit', project.pk) }}`: reverse() with positional or keyword arguments."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def date(value, arg=None):
    if type(value) is datetime.date:  # no time zone: the same text for the day, format and language
        return _day(value, arg, translation.get_language())
    return defaultfilters.date(template_localtime(value), arg)


@functools.lru_cache(maxsize=4096)
def _day(value, arg, language):
    """A day as `date` prints it: a table of 50 galleries prints a few dozen of the same days."""
    return defaultfilters.date(value, arg)


def time(value, arg=None):
    return defaultfilters.time(template_localtime(value), arg)


def is_past(value):
    """`{% if link.expires_at is past %}`: the moment has come (None never has)."""
    return value is not None and value <= timezone.now()


SOON = timedelta(days=14)


def is_soon(value):
    """`{% if link.expires_at is soon %}`: within the next 14 days (worth a warning colour)."""
    return value is not None and timezone.now() < value <= timezone.now() + SOON


def expiry(value):
    """`{{ link.expires_at|expiry }}`: "Expires in 5 days", "Expires today", "Expired" ("" for None)."""
    if value is None:
        return ""
    left = value - timezone.now()
    if left <= timedelta(0):
        return "Expired"
    if left.days == 0:
        return "Expires today"
    return f"Expires in {left.days} day{defaultfilters.pluralize(left.days)}"


def printed(value):
    """What `{{ value }}` prints, before escaping: as the Django template language would."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() answers, without its cost on every count and id
    return localize(template_localtime(value))


def money(amount, currency=""):
    """`{{ amount|money(currency) }}`: "$1,500.00", in the active (the company's) locale."""
    return format_money(amount, currency)


def initials(name):
    """ "Bella & Ben Wedding" → "BB": the placeholder of a gallery without photos."""
    letters = [word[0] for word in str(name).split() if word[:1].isalnum()]
    return "".join(letters[:2]).upper() or "?"


def csrf(request):
    """A context processor: the CSRF token and its hidden input, made once per request.

    Django's Jinja2 backend puts lazy ones in the context that mask a new token each time they
    are printed, and the workspace prints one per form (two for each linked gallery)."""
    if not hasattr(request, "_csrf_context"):
        token = get_token(request)
        request._csrf_context = {
            "csrf_token": token,
            "csrf_input": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
        }
    return request._csrf_context


def environment(**options):
    # A missing variable prints nothing, with DEBUG on too (Django's default there prints its name).
    options["undefined"] = Undefined
    options.pop("autoescape", None)  # always on
    env = Environment(autoescape=True, finalize=printed, **options)
    env.globals.update(
        url=url, static=static, workspace_panels=workspace_panels, portal_sections=portal_sections
    )
    # Every filter and test the pages use, in this one place.
    env.tests.update(past=is_past, soon=is_soon)
    env.filters.update(
        date=date,
        expiry=expiry,
        money=money,
        initials=initials,
        naturaltime=naturaltime,
        time=time,
        pluralize=defaultfilters.pluralize,
        capfirst=defaultfilters.capfirst,
        linebreaksbr=defaultfilters.linebreaksbr,
        urlencode=defaultfilters.urlencode,
        json_script=json_script,
    )
    return env


def render_form(request, template_name, form, **context):
    """A page with a form: 400 when the form was refused, so a client (and a test) sees the refusal."""
    return render(request, template_name, {"form": form, **context}, status=400 if form.errors else 200)
