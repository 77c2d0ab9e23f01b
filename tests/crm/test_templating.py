"""Pages render with Jinja2 (crm/templating.py) but must read as they did with Django's template
language: the same text for dates, times, numbers and the filters the templates use."""

import datetime
from decimal import Decimal

import pytest
from django.template import engines
from django.test import RequestFactory, override_settings
from django.urls import set_script_prefix
from django.utils import timezone

VALUES = {
    "day": datetime.date(2026, 12, 5),
    "moment": datetime.datetime(2026, 11, 27, 23, 30, tzinfo=datetime.UTC),
    "amount": Decimal("1500.50"),
    "count": 12345,
    "nothing": None,
    "flag": True,
    "text": "Bella & Ben's <wedding>",
}

# (Jinja2, Django template language) spellings of the same thing.
PAIRS = [
    ("{{ day }}", "{{ day }}"),
    ("{{ moment }}", "{{ moment }}"),
    ("{{ amount }}", "{{ amount }}"),
    ("{{ count }}", "{{ count }}"),
    ("{{ nothing }}", "{{ nothing }}"),
    ("{{ flag }}", "{{ flag }}"),
    ('{{ moment|date("M j, Y H:i") }}', '{{ moment|date:"M j, Y H:i" }}'),
    ('{{ moment|time("H:i") }}', '{{ moment|time:"H:i" }}'),
    ('{{ day|date("M j, Y") }}', '{{ day|date:"M j, Y" }}'),
    ('{{ nothing|date("M j, Y") }}', '{{ nothing|date:"M j, Y" }}'),
    ("{{ count }} image{{ count|pluralize }}", "{{ count }} image{{ count|pluralize }}"),
    ('{{ 1|pluralize("is,are") }}', '{{ 1|pluralize:"is,are" }}'),
    ("{{ text|capfirst }}", "{{ text|capfirst }}"),
    ("{{ text|urlencode }}", "{{ text|urlencode }}"),
    ("{{ text|linebreaksbr }}", "{{ text|linebreaksbr }}"),
]


@pytest.mark.parametrize("time_zone", ["UTC", "Europe/Paris", "America/New_York"])
@pytest.mark.parametrize(("jinja", "django"), PAIRS)
def test_values_print_as_the_django_template_language_prints_them(jinja, django, time_zone):
    with override_settings(TIME_ZONE=time_zone):
        ours = engines["jinja2"].from_string(jinja).render(VALUES)
        theirs = engines["django"].from_string(django).render(VALUES)
    # (An apostrophe is escaped &#39; by Jinja2 and &#x27; by Django: the same character.)
    assert ours.replace("&#39;", "&#x27;") == theirs


def test_text_is_escaped():
    html = engines["jinja2"].from_string("<p>{{ text }}</p>").render(VALUES)
    assert html == "<p>Bella &amp; Ben&#39;s &lt;wedding&gt;</p>"


def test_a_missing_variable_prints_nothing():
    assert engines["jinja2"].from_string("[{{ missing }}]").render({}) == "[]"


def test_url_reverses_with_arguments():
    html = engines["jinja2"].from_string("{{ url('project_workspace', 7) }} {{ url('dashboard') }}").render()
    assert html == "/projects/7/ /"


def test_url_follows_the_script_prefix_and_url_configuration(settings):
    template = engines["jinja2"].from_string(
        "{{ url('project_workspace', 7) }} {{ url('project_workspace', pk=8) }}"
    )
    assert template.render() == "/projects/7/ /projects/8/"
    set_script_prefix("/studio/")  # the CRM served under a path: every URL under it
    try:
        assert template.render() == "/studio/projects/7/ /studio/projects/8/"
    finally:
        set_script_prefix("/")
    assert template.render() == "/projects/7/ /projects/8/"
    settings.ROOT_URLCONF = "tests.crm.urls_elsewhere"
    assert template.render() == "/elsewhere/projects/7/ /elsewhere/projects/8/"


@pytest.mark.parametrize(
    ("from_now", "label", "past"),
    [
        (datetime.timedelta(days=5, hours=3), "Expires in 5 days", False),
        (datetime.timedelta(days=1, minutes=1), "Expires in 1 day", False),
        (datetime.timedelta(hours=5), "Expires today", False),
        (-datetime.timedelta(minutes=1), "Expired", True),
        (-datetime.timedelta(days=30), "Expired", True),
    ],
)
def test_expiry_reads_as_the_panel_shows_it(from_now, label, past):
    template = engines["jinja2"].from_string("{{ at|expiry }}|{{ at is past }}")
    assert template.render({"at": timezone.now() + from_now}) == f"{label}|{past}"


def test_no_expiry_prints_nothing_and_is_never_past():
    assert (
        engines["jinja2"].from_string("[{{ at|expiry }}]{{ at is past }}").render({"at": None}) == "[]False"
    )


def test_feed_times_print_as_humanize_and_iso_8601():
    moment = timezone.now() - datetime.timedelta(hours=2)
    template = engines["jinja2"].from_string('{{ at|naturaltime }}|{{ at|date("c") }}')
    with override_settings(TIME_ZONE="Europe/Paris"):
        assert template.render({"at": moment}) == (f"2\xa0hours ago|{timezone.localtime(moment).isoformat()}")


def test_one_csrf_token_serves_every_form_of_a_request():
    request = RequestFactory().get("/")
    template = engines["jinja2"].from_string("{{ csrf_input }}|{{ csrf_input }}|{{ csrf_token }}")
    first, second, token = template.render({}, request).split("|")
    assert first == second == f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    assert len(token) == 64
    # Another render of the same request (the workspace's panel) uses the same token.
    assert template.render({}, request).split("|")[2] == token


def test_every_page_template_compiles():
    from django.conf import settings

    root = settings.BASE_DIR / "templates"
    names = sorted(str(path.relative_to(root)) for path in root.rglob("*.html"))
    assert "projects/workspace.html" in names
    for name in names:
        engines["jinja2"].get_template(name)  # raises TemplateSyntaxError on a mistake
