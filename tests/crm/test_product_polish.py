"""What a photographer and their client read, page by page: money in the company's locale, Overdue
payments, the client's first name, the portal link's box, client names that lead somewhere, the
gallery ready email's preview frame, the favicon, and one kind of API token."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from crm.clients.models import Client
from crm.companies.models import Company
from crm.money import format_money
from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.services import create_project
from crm.templating import money
from tests.fixtures import logged_in

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\xa0", "\u202f"


def page_text(response):
    """The page's text, tags out and entities read, as a person reads it (no-break spaces kept)."""
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def overdue_invoice(project, *, amount="1500.00", days_late=10, later="2500.00"):
    today = timezone.localdate()
    return send_invoice(
        create_invoice(
            project=project,
            title="Wedding collection",
            schedule=[
                (Decimal(amount), today - datetime.timedelta(days=days_late)),
                (Decimal(later), today + datetime.timedelta(days=60)),
            ],
        )
    )


# ------------------------------------------------------------------------------ money


def test_money_is_written_for_the_active_locale_and_the_currency():
    assert money(Decimal("1500"), "USD") == "$1,500.00"
    assert money("148", "USD") == "$148.00"
    assert money(0, "USD") == "$0.00"
    assert money(None, "USD") == "" and money("", "USD") == ""
    assert money(Decimal("1500"), "EUR") == "€1,500.00"
    assert money(Decimal("1234.5"), "") == "1,234.50"
    with translation.override("fr-fr"):
        assert money(Decimal("1000"), "USD") == f"1{NNBSP}000,00{NBSP}$US"
        assert money(Decimal("1500"), "EUR") == f"1{NNBSP}500,00{NBSP}€"
    with translation.override("de-de"):
        assert money(Decimal("1500"), "EUR") == f"1.500,00{NBSP}€"
    with translation.override("en-gb"):
        assert money(Decimal("1500"), "GBP") == "£1,500.00"
    assert format_money(Decimal("1500"), "EUR", "de_DE") == f"1.500,00{NBSP}€"


def test_the_owner_sets_the_locale_and_every_page_follows_then_changes_it_back(
    owner_client, company, installment
):
    project = installment.invoice.project
    r = owner_client.post(
        reverse("settings_general"),
        {"name": company.name, "email": company.email, "currency": "USD", "locale": "fr_FR"},
    )
    assert r.status_code == 302
    company.refresh_from_db()
    assert company.locale == "fr_FR"
    workspace = page_text(owner_client.get(project.get_absolute_url()))
    assert f"1{NNBSP}000,00{NBSP}$US" in workspace and "$1,000.00" not in workspace
    portal = page_text(owner_client.get(reverse("portal", args=[project.portal_token])))
    assert f"1{NNBSP}000,00{NBSP}$US" in portal

    # The second change: back to English (United States), with a euro price list.
    r = owner_client.post(
        reverse("settings_general"),
        {"name": company.name, "email": company.email, "currency": "eur", "locale": "en_US"},
    )
    assert r.status_code == 302
    assert "€1,000.00" in page_text(owner_client.get(project.get_absolute_url()))


def test_an_unknown_locale_is_refused_and_changes_nothing(owner_client, company):
    r = owner_client.post(
        reverse("settings_general"),
        {"name": "Renamed", "email": company.email, "currency": "USD", "locale": "xx_XX"},
    )
    assert r.status_code == 400
    assert "Select a valid choice" in r.content.decode()
    company.refresh_from_db()
    assert (company.name, company.locale) == ("Lumen Studio", "en_US")


def test_a_companys_locale_stays_with_its_requests(owner, outsider, installment, other_invoice):
    """A French studio's page, then an American one's on the same thread: each in its own way."""
    Company.objects.filter(pk=outsider.membership.company_id).update(locale="fr_FR")
    french = logged_in(outsider).get(other_invoice.project.get_absolute_url())
    assert f"500,00{NBSP}$US" in page_text(french)
    american = logged_in(owner).get(installment.invoice.project.get_absolute_url())
    assert "$1,000.00" in page_text(american)
    assert "$US" not in page_text(american)
    assert translation.get_language() == "en-us"  # nothing left behind on the thread


def test_the_feed_and_the_refusals_write_money_too(owner, installment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=r"The most that can be paid here is \$1,000\.00"):
        record_payment(installment=installment, amount=Decimal("1200"), method="cash", recorded_by=owner)
    record_payment(installment=installment, amount=Decimal("1000"), method="cash", recorded_by=owner)
    line = installment.invoice.project.activities.first().message
    assert line == "Payment received: $1,000.00 by Cash (invoice #0001, payment 1)"


# ------------------------------------------------------------------------------ overdue


def test_an_unpaid_payment_past_its_due_date_is_overdue_in_the_workspace_list_and_portal(
    owner, owner_client, project
):
    overdue_invoice(project)
    workspace = page_text(owner_client.get(project.get_absolute_url()))
    assert "$1,500.00 overdue" in workspace
    assert workspace.count("Overdue") == 2  # the invoice's badge and the payment's
    listed = page_text(owner_client.get(reverse("dashboard")))
    assert "Overdue $1,500.00" in listed
    portal = page_text(owner_client.get(reverse("portal", args=[project.portal_token])))
    assert "$1,500.00 is overdue" in portal and "Pay $1,500.00" in portal

    # Part of it paid: what is due now goes down; all of it paid: no longer overdue anywhere.
    first = project.invoices.get().installments.get(position=1)
    record_payment(installment=first, amount=Decimal("400"), method="cash", recorded_by=owner)
    assert "$1,100.00 overdue" in page_text(owner_client.get(project.get_absolute_url()))
    assert "Overdue $1,100.00" in page_text(owner_client.get(reverse("dashboard")))
    record_payment(installment=first, amount=Decimal("1100"), method="cash", recorded_by=owner)
    for url in (
        project.get_absolute_url(),
        reverse("dashboard"),
        reverse("portal", args=[project.portal_token]),
    ):
        assert "Overdue" not in page_text(owner_client.get(url)), url


def test_a_draft_or_a_payment_due_today_is_not_overdue(owner_client, project):
    today = timezone.localdate()
    create_invoice(
        project=project, title="Draft", schedule=[(Decimal("90"), today - datetime.timedelta(days=3))]
    )
    send_invoice(create_invoice(project=project, title="Today", schedule=[(Decimal("80"), today)]))
    for url in (project.get_absolute_url(), reverse("dashboard")):
        assert "Overdue" not in page_text(owner_client.get(url))


def test_the_projects_list_reads_overdue_amounts_in_a_fixed_number_of_queries(
    owner_client, company, client_person, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            overdue_invoice(
                create_project(company=company, client=client_person, name=f"P{i}", type="wedding")
            )

    add(1)
    with django_assert_max_num_queries(10) as one:
        owner_client.get(reverse("dashboard"))
    add(6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = page_text(owner_client.get(reverse("dashboard")))
    assert page.count("Overdue $1,500.00") == 7


# ------------------------------------------------------------------------------ clients and the portal


def test_a_client_name_leads_to_their_projects_and_another_companys_client_is_404(
    owner_client, project, client_person, other_project
):
    clients = owner_client.get(reverse("client_list")).content.decode()
    href = f"{reverse('dashboard')}?client={client_person.pk}"
    assert f'<a href="{href}">Bella Bride</a>' in clients
    mine = page_text(owner_client.get(href))
    assert "Projects of Bella Bride" in mine and project.name in mine
    assert owner_client.get(reverse("dashboard"), {"client": other_project.client_id}).status_code == 404
    assert owner_client.get(reverse("dashboard"), {"client": "abc"}).status_code == 404


def test_greetings_use_the_first_name(owner_client, project, client_person):
    assert client_person.greeting_name == "Bella"
    portal = page_text(owner_client.get(reverse("portal", args=[project.portal_token])))
    assert "Hello Bella!" in portal and "Bella Bride!" not in portal
    Client.objects.filter(pk=client_person.pk).update(first_name="Belle")
    portal = page_text(owner_client.get(reverse("portal", args=[project.portal_token])))
    assert "Hello Belle!" in portal


def test_the_portal_link_box_offers_copy_open_and_a_confirmed_revoke(owner_client, project):
    html = owner_client.get(project.get_absolute_url()).content.decode()
    box = html[html.index('class="portal-link"') : html.index("</dialog>", html.index('class="portal-link"'))]
    assert 'data-copy="portal-url">Copy link</button>' in box
    assert ">Open</a>" in box
    # Revoke only opens a dialog; the revoking button is inside it.
    assert 'data-dialog-open="portal-revoke">Revoke link…</button>' in box
    assert re.search(r'<dialog id="portal-revoke".*name="action" value="revoke"', box, re.S)


def test_record_payment_starts_with_today_as_paid_on(owner_client, installment):
    html = owner_client.get(reverse("record_payment", args=[installment.pk])).content.decode()
    assert f'name="paid_on" value="{timezone.localdate().isoformat()}"' in html


def test_a_payment_recorded_for_today_was_made_now_and_an_earlier_one_at_that_days_noon(
    owner_client, installment
):
    """A date-only payment of today is never in the future (noon, recorded in the morning), nor
    before Auto-create was turned on minutes ago (noon, recorded in the afternoon): it arrives now."""
    from crm.payments.models import Payment

    before = timezone.now()
    owner_client.post(
        reverse("record_payment", args=[installment.pk]),
        {"amount": "100.00", "method": "check", "reference": "1", "paid_on": timezone.localdate()},
    )
    today = Payment.objects.get(installment=installment)
    assert before <= today.paid_at <= timezone.now()

    last_week = timezone.localdate() - datetime.timedelta(days=7)
    owner_client.post(
        reverse("record_payment", args=[installment.pk]),
        {"amount": "100.00", "method": "cash", "reference": "2", "paid_on": last_week},
    )
    earlier = Payment.objects.get(installment=installment, reference="2")
    assert timezone.localtime(earlier.paid_at).date() == last_week
    assert timezone.localtime(earlier.paid_at).hour == 12


# ------------------------------------------------------------------------------ small things


def test_the_email_preview_may_be_framed_by_our_pages_only_and_nothing_else_may(owner_client, connection):
    body = owner_client.get(reverse("pictime:ready_email_preview_body"))
    assert body.status_code == 200
    assert body["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in body["Content-Security-Policy"]
    assert "'none'" not in body["Content-Security-Policy"].split("frame-ancestors")[1].split(";")[0]
    other = owner_client.get(reverse("settings_integrations"))
    assert other["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_the_favicon_is_named_by_every_page_and_found_at_favicon_ico(client, project):
    from django.contrib.staticfiles import finders

    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")
    for url in (reverse("login"), reverse("portal", args=[project.portal_token])):
        assert 'rel="icon" href="/static/favicon.svg"' in client.get(url).content.decode()


def test_one_kind_of_api_token_in_the_admin(client):
    assert not apps.is_installed("rest_framework.authtoken")
    root = get_user_model().objects.create_superuser(username="root@support.test", password="x")
    client.force_login(root)
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/knox/authtoken/" in index and "/admin/authtoken/" not in index


def test_expiry_is_amber_only_within_two_weeks():
    from crm.templating import is_soon

    now = timezone.now()
    assert is_soon(now + datetime.timedelta(days=10))
    assert not is_soon(now + datetime.timedelta(days=206))
    assert not is_soon(now - datetime.timedelta(days=1)) and not is_soon(None)


def test_the_portal_reads_overdue_payments_in_a_fixed_number_of_queries(
    client, project, django_assert_max_num_queries
):
    overdue_invoice(project)
    url = reverse("portal", args=[project.portal_token])
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    for _ in range(4):
        overdue_invoice(project)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = page_text(client.get(url))
    assert page.count("$1,500.00 is overdue") == 5
