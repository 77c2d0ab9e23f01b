"""Bad input: every form says what is wrong, next to the field, and saves nothing."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from crm.clients.models import Client
from crm.companies.models import Company, Membership
from crm.payments.models import Installment, Invoice, Payment
from crm.projects.models import Activity, Project
from pictime.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            get_user_model(),
            Company,
            Membership,
            Client,
            Project,
            Activity,
            Invoice,
            Installment,
            Payment,
        )
    }


def assert_field_error(response, field, message):
    """The message is on the page a person reads, under that field's label."""
    page = response.content.decode()
    block = re.search(rf'<div class="field has-error">\s*<label for="id_{field}">.*?</div>', page, re.S)
    assert block, f"no error on {field}:\n{page}"
    assert f'<p class="field-error">{message}</p>' in unescape(block.group(0)), block.group(0)


def assert_refused(post, field, message):
    """`post()` is answered 400 with the message under that field's label, and nothing is saved."""
    before = counts()
    response = post()
    assert response.status_code == 400
    assert_field_error(response, field, message)
    assert counts() == before
    return response


# Sign up


def test_sign_up_refuses_an_email_already_in_use(client, owner):
    assert_refused(
        lambda: client.post(
            reverse("signup"),
            {
                "company_name": "Copy Studio",
                "name": "Ada Again",
                "email": "ADA@lumen.test",
                "password": "x7-long-pass",
            },
        ),
        "email",
        "An account with this email already exists. Log in instead.",
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "password, message",
    [
        ("password123", "This password is too common."),
        ("48151623429", "This password is entirely numeric."),
        ("short", "Ensure this value has at least 8 characters (it has 5)."),
    ],
)
def test_sign_up_refuses_a_weak_password(client, db, password, message):
    r = assert_refused(
        lambda: client.post(
            reverse("signup"),
            {"company_name": "New Studio", "name": "Nia New", "email": "nia@new.test", "password": password},
        ),
        "password",
        message,
    )
    # What was typed (but the password) is kept for the next try.
    assert 'value="nia@new.test"' in r.content.decode()
    assert password not in r.content.decode()


def test_adding_a_team_member_refuses_a_weak_password(owner_client, company):
    assert_refused(
        lambda: owner_client.post(
            reverse("add_member"), {"name": "Nina New", "email": "nina@lumen.test", "password": "12345678"}
        ),
        "password",
        "This password is too common.",
    )


# New project


def test_new_project_needs_a_client(owner_client, company):
    before = counts()
    r = owner_client.post(reverse("project_new"), {"name": "Smith portraits", "type": "portrait"})
    assert r.status_code == 400
    assert_field_error(r, "new_client_name", "Choose a client or enter a new client's name.")
    assert_field_error(r, "new_client_email", "Enter the new client's email.")
    assert counts() == before


def test_new_project_refuses_a_bad_new_client_email(owner_client, company):
    assert_refused(
        lambda: owner_client.post(
            reverse("project_new"),
            {
                "new_client_name": "Sam Smith",
                "new_client_email": "sam@",
                "name": "Smith portraits",
                "type": "portrait",
            },
        ),
        "new_client_email",
        "Enter a valid email address.",
    )


def test_new_project_refuses_a_bad_date(owner_client, company):
    assert_refused(
        lambda: owner_client.post(
            reverse("project_new"),
            {
                "new_client_name": "Sam Smith",
                "new_client_email": "sam@example.com",
                "name": "Smith portraits",
                "type": "portrait",
                "event_date": "2027-02-30",
            },
        ),
        "event_date",
        "Enter a valid date.",
    )


def test_editing_a_project_refuses_a_bad_date(owner_client, project):
    before = counts()
    r = owner_client.post(
        reverse("project_edit", args=[project.pk]),
        {"name": "Renamed", "type": "wedding", "stage": "booked", "event_date": "next june"},
    )
    assert r.status_code == 400
    assert_field_error(r, "event_date", "Enter a valid date.")
    project.refresh_from_db()
    assert (project.name, project.stage) == ("Bella & Ben Wedding", "inquiry")
    assert counts() == before


def test_private_notes_refuse_more_than_10000_characters(owner_client, project):
    r = owner_client.post(
        reverse("project_notes", args=[project.pk]), {"private_notes": "x" * 10001}, follow=True
    )
    assert "Ensure this value has at most 10000 characters (it has 10001)." in r.content.decode()
    project.refresh_from_db()
    assert project.private_notes == ""


def test_new_client_needs_an_email(owner_client, company):
    assert_refused(
        lambda: owner_client.post(reverse("client_list"), {"name": "Sam Smith", "email": ""}),
        "email",
        "This field is required.",
    )


# New invoice


def _invoice(owner_client, project, **rows):
    data = {"title": "Wedding collection", "send": ""}
    data.update(rows)
    return owner_client.post(reverse("invoice_new", args=[project.pk]), data)


@pytest.mark.parametrize(
    "rows, field, message",
    [
        pytest.param(
            {"amount_1": "-100.00", "due_1": "2027-01-15", "amount_2": "2500.00", "due_2": "2027-05-01"},
            "amount_1",
            "Enter an amount greater than zero.",
            id="a-negative-amount",
        ),
        pytest.param(
            {"amount_1": "0", "due_1": "2027-01-15"},
            "amount_1",
            "Enter an amount greater than zero.",
            id="a-zero-amount",
        ),
        pytest.param(
            {"amount_1": "1000.00", "due_1": "2027-01-15", "amount_2": "2500.00"},
            "due_2",
            "Enter the date this payment is due.",
            id="a-payment-without-due-date",
        ),
        pytest.param(
            {"amount_1": "1000.00", "due_1": "2027-01-15", "due_2": "2027-05-01"},
            "amount_2",
            "Enter the amount of this payment.",
            id="a-due-date-without-amount",
        ),
        pytest.param(
            {"amount_1": "1000.00", "due_1": "2027-05-01", "amount_2": "2500.00", "due_2": "2027-01-15"},
            "due_2",
            "Payments are due in order: this date is before the previous one.",
            id="dates-out-of-order",
        ),
        pytest.param({}, "amount_1", "Add at least one payment.", id="no-payment"),
    ],
)
def test_invoice_refuses_bad_payments(owner_client, project, rows, field, message):
    assert_refused(lambda: _invoice(owner_client, project, **rows), field, message)


def test_invoice_keeps_what_was_typed(owner_client, project):
    r = _invoice(
        owner_client, project, amount_1="1000.00", due_1="2027-05-01", amount_2="-5", due_2="2027-06-01"
    )
    page = r.content.decode()
    assert 'value="Wedding collection"' in page
    assert 'value="1000.00"' in page
    assert 'value="2027-06-01"' in page


# Record a payment


def _record(owner_client, installment, **data):
    fields = {"amount": "100.00", "method": "check", "reference": "1042", "paid_on": "2026-01-02"}
    fields.update(data)
    return owner_client.post(reverse("record_payment", args=[installment.pk]), fields)


@pytest.mark.parametrize(
    "data, field, message",
    [
        pytest.param(
            {"amount": "-50.00"},
            "amount",
            "Ensure this value is greater than or equal to 0.01.",
            id="negative",
        ),
        pytest.param(
            {"amount": "1000.01"},
            "amount",
            "The most that can be paid here is $1,000.00.",
            id="over-the-balance",
        ),
        pytest.param(
            {"method": "card"},
            "method",
            "Select a valid choice. card is not one of the available choices.",
            id="the-card-method",
        ),
    ],
)
def test_record_payment_refuses_bad_input(owner_client, installment, data, field, message):
    assert_refused(lambda: _record(owner_client, installment, **data), field, message)


def test_record_payment_refuses_a_payment_already_paid_in_full(owner_client, installment):
    assert _record(owner_client, installment, amount="1000.00").status_code == 302
    assert_refused(
        lambda: _record(owner_client, installment, amount="1.00"),
        "amount",
        "This payment is already paid in full.",
    )


def test_record_payment_refuses_a_future_date(owner_client, installment):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert_refused(
        lambda: _record(owner_client, installment, paid_on=tomorrow.isoformat()),
        "paid_on",
        "A payment can't be recorded in the future.",
    )


# The client portal's card form


def _pay(client, project, installment, **data):
    fields = {"name": "Bella Bride", "number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"}
    fields.update(data)
    return client.post(reverse("portal_pay", args=[project.portal_token, installment.pk]), fields)


@pytest.mark.parametrize(
    "number", ["4242 4242 4242 4241", "4242", "abcd efgh ijkl mnop", "4242424242424242424242"]
)
def test_portal_refuses_a_bad_card_number(client, project, installment, number):
    assert_refused(
        lambda: _pay(client, project, installment, number=number), "number", "Enter a valid card number."
    )


def test_portal_refuses_an_expired_card(client, project, installment):
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    assert_refused(
        lambda: _pay(client, project, installment, expiry=last_month.strftime("%m/%y")),
        "expiry",
        "This card has expired.",
    )


@pytest.mark.parametrize("expiry", ["13/30", "1230", "ab/cd", "00/30"])
def test_portal_refuses_a_malformed_expiry(client, project, installment, expiry):
    assert_refused(
        lambda: _pay(client, project, installment, expiry=expiry), "expiry", "Enter the expiry as MM/YY."
    )


@pytest.mark.parametrize("cvc", ["12", "abc", "12a4"])
def test_portal_refuses_a_bad_cvc(client, project, installment, cvc):
    assert_refused(
        lambda: _pay(client, project, installment, cvc=cvc),
        "cvc",
        "Enter the 3 or 4 digits on the back of the card.",
    )


def test_portal_refuses_to_pay_an_installment_twice(client, project, installment):
    assert _pay(client, project, installment).status_code == 302
    before = counts()
    r = _pay(client, project, installment)
    assert r.status_code == 400
    assert "This payment is already paid in full." in r.content.decode()
    assert counts() == before


def test_portal_never_sends_the_card_number_or_cvc_back(client, project, installment):
    r = _pay(client, project, installment, number="4000 0000 0000 0002", expiry="13/39", cvc="987")
    assert r.status_code == 400
    page = r.content.decode()
    assert "Enter the expiry as MM/YY." in page
    assert "4000 0000 0000 0002" not in page
    assert 'value="987"' not in page
    assert 'value="Bella Bride"' in page
    assert 'value="13/39"' in page


def test_portal_declined_card_records_no_payment(client, project, installment):
    r = _pay(client, project, installment, number="4000 0000 0000 0002")
    assert r.status_code == 400
    assert "Your card was declined. Nothing was charged. Try another card." in r.content.decode()
    assert Payment.objects.count() == 0
    assert project.activities.filter(kind=Activity.Kind.PAYMENT_FAILED).count() == 1


# Company Settings > General


@pytest.mark.parametrize("currency", ["US", "USDT", "12$", ""])
def test_general_settings_refuse_a_bad_currency(owner_client, company, currency):
    r = owner_client.post(
        reverse("settings_general"),
        {"name": "Lumen Photo", "email": "hi@lumen.test", "phone": "", "website": "", "currency": currency},
    )
    assert r.status_code == 400
    message = {
        "": "This field is required.",
        "USDT": "Ensure this value has at most 3 characters (it has 4).",
    }.get(currency, "Enter a three-letter currency code such as USD.")
    assert_field_error(r, "currency", message)
    company.refresh_from_db()
    assert (company.name, company.email, company.currency) == ("Lumen Studio", "ada@lumen.test", "USD")


# Hostile input from outside: answered 4xx, never 500 (on PostgreSQL, which refuses NUL in text),
# and nothing stored.


@pytest.fixture
def owner_api(owner):
    from tests.api.conftest import with_token

    return with_token(owner)


def everything():
    from pictime.models import GalleryLink, WebhookDelivery, WebhookEvent

    return {
        **counts(),
        **{m.__name__: m.objects.count() for m in (GalleryLink, WebhookDelivery, WebhookEvent)},
    }


@pytest.mark.parametrize(
    "method, url, body",
    [
        ("get", "/portal/%00/", None),
        ("get", "/portal/a%00b/pay/1/", None),
        ("post", "/integrations/pictime/webhooks/%00/", b"{}"),
        ("get", "/api/projects/?stage=%00", None),
        ("get", "/api/projects/?stage=a%00", None),
        ("get", "/admin/projects/project/?stage__exact=%00", None),
        ("get", "/admin/pictime/webhookdelivery/?outcome__exact=%00", None),
        ("get", "/admin/pictime/gallerylink/?q=%00", None),
        ("get", "/clients/?q=%00", None),
    ],
)
def test_nul_bytes_in_a_url_are_a_400_and_change_nothing(admin_client, owner_api, method, url, body, project):
    before = everything()
    caller = owner_api if url.startswith("/api/") else admin_client
    response = (
        getattr(caller, method)(url, data=body, content_type="application/json")
        if body
        else getattr(caller, method)(url)
    )
    assert response.status_code == 400, response.content[:300]
    assert everything() == before


def test_an_unsigned_webhook_body_with_a_raw_nul_byte_is_refused_and_not_stored(client, connection):
    before = everything()
    body = b'{"id": "a\x00b"}\x00'
    response = client.post(
        "/integrations/pictime/webhooks/some-token/", data=body, content_type="application/json"
    )
    assert response.status_code == 404  # not one of our subscriptions: nothing stored
    assert everything() == before
    # To a real subscription, unsigned: logged without its body.
    url = f"/integrations/pictime/webhooks/{connection.webhook_token}/"
    assert client.post(url, data=body, content_type="application/json").status_code == 400
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.body) == ("bad_signature", "")


def test_a_portal_token_with_nul_is_never_looked_up(client, project):
    assert client.get(f"/portal/{project.portal_token}%00/").status_code == 400
    assert client.get(f"/portal/{project.portal_token}/").status_code == 200


# The Idempotency-Key of a gallery create: 1 to 255 printable ASCII characters, else 400.


@pytest.mark.parametrize("key", ["has space", "ключ", "", "x" * 256, "tab\tkey"])
def test_a_bad_idempotency_key_header_is_a_400_and_creates_nothing(
    owner_api, project, connection, sandbox, pictime_account, key
):
    before = everything()
    calls = sandbox.stats(pictime_account["id"])["api_requests"]
    r = owner_api.post(
        f"/api/projects/{project.pk}/galleries/",
        {"name": "Smith wedding", "allow_duplicate": True},
        format="json",
        headers={"Idempotency-Key": key},
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert "Idempotency-Key" in r.json()["error"]["details"]
    assert everything() == before
    assert sandbox.stats(pictime_account["id"])["api_requests"] == calls  # Pic-Time was not called


EXPIRED = "This form has expired. Reload the page and try again."


@pytest.mark.parametrize("key", ["has space", "ключ", ""])
def test_a_bad_idempotency_key_in_the_create_form_is_a_form_error(
    owner_client, project, connection, sandbox, pictime_account, key
):
    before = everything()
    calls = sandbox.stats(pictime_account["id"])["api_requests"]
    r = owner_client.post(
        reverse("pictime:panel_new", args=[project.pk]),
        {"name": "Smith wedding", "idempotency_key": key, "create_anyway": "on"},
    )
    assert r.status_code == 400
    page = unescape(r.content.decode())
    # The key is hidden: the error says what to do, whether it was altered or left empty.
    assert f'<div class="errors" role="alert"><p>{EXPIRED}</p></div>' in page
    assert everything() == before
    assert sandbox.stats(pictime_account["id"])["api_requests"] == calls


def test_a_gallery_name_of_spaces_in_the_create_form_says_to_enter_a_name(
    owner_client, project, connection, sandbox, pictime_account
):
    before = everything()
    calls = sandbox.stats(pictime_account["id"])["api_requests"]
    r = owner_client.post(
        reverse("pictime:panel_new", args=[project.pk]),
        {"name": "   ", "idempotency_key": "k" * 32, "create_anyway": "on"},
    )
    assert r.status_code == 400
    assert "Enter a name for the gallery." in unescape(r.content.decode())
    assert everything() == before
    assert sandbox.stats(pictime_account["id"])["api_requests"] == calls


# The browsable API (a browser's Accept: text/html, or ?format=api) on every GET endpoint.


@pytest.mark.parametrize("how", [{"format": "api"}, {"HTTP_ACCEPT": "text/html"}])
def test_the_browsable_api_renders_the_available_galleries(owner_client, project, connection, how):
    url = f"/api/projects/{project.pk}/galleries/available/"
    if "format" in how:
        r = owner_client.get(url, {"format": "api"})
    else:
        r = owner_client.get(url, HTTP_ACCEPT="text/html")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    assert "next_cursor" in r.content.decode()


def test_the_browsable_api_renders_every_get_endpoint(
    owner_client, project, connection, sandbox, pictime_account
):
    from pictime.services import galleries

    remote = sandbox.create_gallery(pictime_account["id"], name="Browsable")
    link = galleries.link_existing(project, connection, remote["id"])
    for url in [
        "/api/",
        "/api/projects/",
        f"/api/projects/{project.pk}/",
        f"/api/projects/{project.pk}/galleries/",
        f"/api/projects/{project.pk}/galleries/available/",
        f"/api/projects/{project.pk}/galleries/{link.pk}/",
        f"/api/projects/{project.pk}/orders/",
        "/api/pictime/connection/",
    ]:
        r = owner_client.get(url, {"format": "api"})
        assert r.status_code == 200, (url, r.status_code)
