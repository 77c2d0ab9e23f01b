"""The Jinja2 environment the CRM's pages (templates/) render with.

Jinja2 compiles a template to Python code, so a page renders several times faster than with the
Django template language; the project workspace, which shows a row of actions per linked Pic-Time
gallery, is the page that needs it (bench/workspace_bench.py). The admin and the API's browsable
pages keep the Django template language (the second engine in settings.TEMPLATES).

Values print as the Django template language prints them, so pages read the same: dates and
numbers localized, aware times in the current time zone, and `date`/`time` filters that take
Django's format strings.
"""

import functools

from django.conf import settings
from django.middleware.csrf import get_token
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined

from integrations.slots import portal_sections, workspace_panels


def url(name, *args, **kwargs):
    """`{{ url('project_edit', project.pk) }}`: reverse() with positional or keyword arguments.

    Remembered per URL configuration and script prefix: a page prints the same URLs on every
    view (a dozen on the project workspace), and reverse() takes ~10 us each."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    try:
        return _reverse(urlconf, get_script_prefix(), name, args, tuple(sorted(kwargs.items())))
    except TypeError:  # an argument that can't be a key (none of our pages passes one)
        return reverse(name, args=args or None, kwargs=kwargs or None)


@functools.lru_cache(maxsize=4096)
def _reverse(urlconf, prefix, name, args, kwargs):
    return reverse(name, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def date(value, arg=None):
    return defaultfilters.date(template_localtime(value), arg)


def time(value, arg=None):
    return defaultfilters.time(template_localtime(value), arg)


def printed(value):
    """What `{{ value }}` prints, before escaping: as the Django template language would."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() answers, without its cost on every count and id
    return localize(template_localtime(value))


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
    env.filters.update(
        date=date,
        time=time,
        pluralize=defaultfilters.pluralize,
        capfirst=defaultfilters.capfirst,
        linebreaksbr=defaultfilters.linebreaksbr,
        urlencode=defaultfilters.urlencode,
    )
    return env
