"""Who may see and change what: another company's objects answer 404, owners alone change settings."""

from html import escape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.payments.models import Invoice, Payment
from crm.projects.models import Activity, Project
from crm.projects.services import revoke_portal_link

pytestmark = pytest.mark.django_db


def _project_state(project):
    project = Project.objects.get(pk=project.pk)
    return {
        "name": project.name,
        "stage": project.stage,
        "event_date": project.event_date,
        "private_notes": project.private_notes,
        "portal_token": project.portal_token,
        "activities": project.activities.count(),
        "invoices": project.invoices.count(),
        "payments": project.payments.count(),
    }


# Another company's objects: 404, and nothing changes.


def test_it_refuses_another_companys_project(outsider_client, project):
    r = outsider_client.get(reverse("project_workspace", args=[project.pk]))
    assert r.status_code == 404
    assert escape(project.name) not in r.content.decode()


def test_it_refuses_another_companys_project_edit_page(outsider_client, project):
    r = outsider_client.get(reverse("project_edit", args=[project.pk]))
    assert r.status_code == 404


@pytest.mark.parametrize(
    "page, data",
    [
        (
            "project_edit",
            {"name": "Hijacked", "type": "portrait", "stage": "archived", "event_date": "2030-01-01"},
        ),
        ("project_notes", {"private_notes": "mine now"}),
        ("project_portal_link", {"action": "revoke"}),
        ("project_portal_link", {"action": "issue"}),
        ("invoice_new", {"title": "Sneaky", "amount_1": "10.00", "due_1": "2027-01-01", "send": ""}),
    ],
    ids=["edit", "notes", "revoke-portal-link", "reissue-portal-link", "invoice"],
)
def test_it_refuses_to_change_another_companys_project(outsider_client, project, page, data):
    before = _project_state(project)
    r = outsider_client.post(reverse(page, args=[project.pk]), data)
    assert r.status_code == 404
    assert _project_state(project) == before
    assert Invoice.objects.count() == 0


def test_it_refuses_another_companys_new_invoice_page(outsider_client, project):
    r = outsider_client.get(reverse("invoice_new", args=[project.pk]))
    assert r.status_code == 404


def test_it_refuses_to_send_another_companys_invoice(outsider_client, draft_invoice):
    r = outsider_client.post(reverse("invoice_send", args=[draft_invoice.pk]))
    assert r.status_code == 404
    draft_invoice.refresh_from_db()
    assert draft_invoice.status == Invoice.Status.DRAFT
    assert draft_invoice.sent_at is None


def test_it_refuses_another_companys_record_payment_page(outsider_client, installment):
    r = outsider_client.get(reverse("record_payment", args=[installment.pk]))
    assert r.status_code == 404


def test_it_refuses_to_record_a_payment_on_another_companys_invoice(outsider_client, installment):
    before = _project_state(installment.invoice.project)
    r = outsider_client.post(
        reverse("record_payment", args=[installment.pk]),
        {"amount": "100.00", "method": "cash", "reference": "", "paid_on": "2026-01-02"},
    )
    assert r.status_code == 404
    assert Payment.objects.count() == 0
    assert _project_state(installment.invoice.project) == before


def test_it_refuses_another_companys_client_in_a_new_project(owner_client, other_project):
    r = owner_client.post(
        reverse("project_new"),
        {"client": other_project.client.pk, "name": "Borrowed client", "type": "wedding"},
    )
    assert r.status_code == 400
    assert "Select a valid choice" in r.content.decode()
    assert not Project.objects.filter(name="Borrowed client").exists()


def test_it_lists_only_own_projects_and_clients(owner_client, project, other_project):
    dashboard = owner_client.get(reverse("dashboard")).content.decode()
    assert escape(project.name) in dashboard
    assert escape(other_project.name) not in dashboard
    clients = owner_client.get(reverse("client_list")).content.decode()
    assert project.client.name in clients
    assert other_project.client.name not in clients


# The client portal: the token is the only credential.


def test_it_refuses_a_wrong_portal_token(client, project):
    r = client.get(reverse("portal", args=["not-a-real-token"]))
    assert r.status_code == 404


def test_it_refuses_a_tampered_portal_token(client, project):
    token = project.portal_token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("portal", args=[token])).status_code == 200
    assert client.get(reverse("portal", args=[tampered])).status_code == 404
    swapped_case = token.swapcase()
    assert swapped_case != token
    assert client.get(reverse("portal", args=[swapped_case])).status_code == 404


def test_it_refuses_a_revoked_portal_token(client, project, installment):
    token = project.portal_token
    revoke_portal_link(project)
    assert client.get(reverse("portal", args=[token])).status_code == 404
    r = client.post(
        reverse("portal_pay", args=[token, installment.pk]),
        {"name": "Bella", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"},
    )
    assert r.status_code == 404
    assert Payment.objects.count() == 0


def test_it_refuses_to_pay_another_projects_installment_through_a_portal(client, project, other_installment):
    r = client.post(
        reverse("portal_pay", args=[project.portal_token, other_installment.pk]),
        {"name": "Bella", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"},
    )
    assert r.status_code == 404
    assert Payment.objects.count() == 0


def test_it_refuses_to_pay_a_draft_invoice_in_the_portal(client, project, draft_invoice):
    inst = draft_invoice.installments.get()
    assert client.get(reverse("portal_pay", args=[project.portal_token, inst.pk])).status_code == 404


def test_portal_hides_draft_invoices(client, project, invoice, draft_invoice):
    page = client.get(reverse("portal", args=[project.portal_token])).content.decode()
    assert "Wedding collection" in page
    assert "Prints" not in page


# Anonymous visitors are sent to log in.


def _crm_pages(project, invoice):
    inst = invoice.installments.first()
    return [
        ("get", reverse("dashboard")),
        ("get", reverse("settings_general")),
        ("post", reverse("settings_general")),
        ("get", reverse("settings_team")),
        ("post", reverse("add_member")),
        ("get", reverse("settings_integrations")),
        ("get", reverse("client_list")),
        ("get", reverse("project_new")),
        ("get", reverse("project_workspace", args=[project.pk])),
        ("get", reverse("project_edit", args=[project.pk])),
        ("post", reverse("project_edit", args=[project.pk])),
        ("post", reverse("project_notes", args=[project.pk])),
        ("post", reverse("project_portal_link", args=[project.pk])),
        ("get", reverse("invoice_new", args=[project.pk])),
        ("post", reverse("invoice_send", args=[invoice.pk])),
        ("get", reverse("record_payment", args=[inst.pk])),
        ("post", reverse("record_payment", args=[inst.pk])),
    ]


def test_it_redirects_anonymous_visitors_to_log_in_on_every_crm_page(client, project, invoice):
    before = _project_state(project)
    pages = _crm_pages(project, invoice)
    assert len(pages) == 17
    for method, url in pages:
        r = getattr(client, method)(url)
        assert r.status_code == 302, (method, url, r.status_code)
        assert r["Location"].startswith(reverse("login") + "?next="), (method, url)
    assert _project_state(project) == before


# A teammate works on the company's projects.


def test_teammate_can_use_project_pages(teammate_client, project, installment):
    assert teammate_client.get(reverse("project_workspace", args=[project.pk])).status_code == 200
    assert teammate_client.get(reverse("project_edit", args=[project.pk])).status_code == 200
    assert teammate_client.get(reverse("invoice_new", args=[project.pk])).status_code == 200
    assert teammate_client.get(reverse("record_payment", args=[installment.pk])).status_code == 200

    r = teammate_client.post(
        reverse("project_edit", args=[project.pk]),
        {"name": "Bella & Ben Wedding", "type": "wedding", "stage": "booked", "event_date": "2027-06-12"},
    )
    assert r.status_code == 302
    r = teammate_client.post(reverse("project_notes", args=[project.pk]), {"private_notes": "Ceremony 3pm"})
    assert r.status_code == 302
    r = teammate_client.post(
        reverse("record_payment", args=[installment.pk]),
        {"amount": "250.00", "method": "check", "reference": "1042", "paid_on": "2026-01-02"},
    )
    assert r.status_code == 302
    project.refresh_from_db()
    assert project.stage == "booked"
    assert project.private_notes == "Ceremony 3pm"
    payment = Payment.objects.get()
    assert payment.recorded_by.email == "tom@lumen.test"
    assert project.activities.filter(kind=Activity.Kind.STAGE_CHANGED).exists()


# Company settings: members may look, only the owner changes them.


def post_company_settings(http, name, email, currency):
    """Company Settings > General saved with these details (no phone, no website)."""
    fields = {"name": name, "email": email, "phone": "", "website": "", "currency": currency}
    return http.post(reverse("settings_general"), fields)


def test_owner_can_change_company_settings(owner_client, company):
    r = post_company_settings(owner_client, "Lumen Photo", "hi@lumen.test", "eur")
    assert r.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.currency) == ("Lumen Photo", "EUR")


def test_member_can_see_but_not_change_company_settings(teammate_client, company):
    r = teammate_client.get(reverse("settings_general"))
    assert r.status_code == 200
    assert "Only the company's owner can change these details." in r.content.decode()

    r = post_company_settings(teammate_client, "Tom's Studio", "tom@lumen.test", "GBP")
    assert r.status_code == 403
    company.refresh_from_db()
    assert (company.name, company.currency) == ("Lumen Studio", "USD")


def test_member_cannot_add_team_members(teammate_client, company):
    users_before = get_user_model().objects.count()
    r = teammate_client.post(
        reverse("add_member"),
        {"name": "Eve Intruder", "email": "eve@lumen.test", "password": "another-long-passphrase"},
    )
    assert r.status_code == 403
    assert get_user_model().objects.count() == users_before
    assert not company.memberships.filter(user__email="eve@lumen.test").exists()


def test_member_does_not_see_the_add_member_form(teammate_client):
    r = teammate_client.get(reverse("settings_team"))
    assert r.status_code == 200
    assert "Add a team member" not in r.content.decode()


def test_owner_adds_a_team_member(owner_client, company):
    r = owner_client.post(
        reverse("add_member"),
        {"name": "Nina New", "email": "Nina@Lumen.test", "password": "another-long-passphrase"},
    )
    assert r.status_code == 302
    membership = company.memberships.get(user__email="nina@lumen.test")
    assert not membership.is_owner


def test_outsider_settings_change_only_their_own_company(outsider_client, company, other_company):
    r = outsider_client.post(
        reverse("settings_general"),
        {"name": "Other Studio Co", "email": "", "phone": "", "website": "", "currency": "CAD"},
    )
    assert r.status_code == 302
    company.refresh_from_db()
    other_company.refresh_from_db()
    assert (company.name, company.currency) == ("Lumen Studio", "USD")
    assert (other_company.name, other_company.currency) == ("Other Studio Co", "CAD")
