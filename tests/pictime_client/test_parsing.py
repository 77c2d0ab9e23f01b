"""Parsing Pic-Time's payloads at the boundary, and webhook signatures. No network."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from pictime import errors
from pictime.schemas import (
    Account,
    Gallery,
    GalleryClient,
    GalleryCreate,
    Order,
    Page,
    TokenSet,
    WebhookEvent,
    WebhookSubscription,
    format_timestamp,
    parse_timestamp,
)
from pictime.signatures import InvalidSignature, sign, verify_signature

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- account
def test_it_parses_account(account_json):
    account = Account.from_dict(account_json)
    assert account.id == "acc_1"
    assert account.brands[0].name == "Jane Doe Weddings"
    assert account.presets[0].id == "pr_1"
    assert isinstance(account.brands, tuple)


def test_it_names_the_nested_field_that_is_wrong(account_json):
    account_json["brands"][0]["id"] = 7
    with pytest.raises(errors.BadResponse) as exc:
        Account.from_dict(account_json)
    assert exc.value.field == "brands[0].id"
    assert "brands[0].id" in str(exc.value)
    assert exc.value.permanent is False


# --------------------------------------------------------------------------- gallery
def test_it_parses_gallery(gallery_json):
    g = Gallery.from_dict(gallery_json)
    assert g.id == "gal_1"
    assert g.status == "offline"
    assert g.published_at is None
    assert g.event_date == date(2026, 6, 20)
    assert g.client == GalleryClient(name="Ann Smith", email="ann@example.com")
    assert g.created_at == datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    assert g.created_at.tzinfo is not None
    assert not g.is_online


def test_it_parses_published_gallery_with_expiry(make_gallery):
    g = Gallery.from_dict(
        make_gallery(
            status="online",
            published_at="2026-11-26T10:05:00+00:00",
            expires_at="2026-12-01T00:00:00Z",
            client=None,
            image_count=12,
        )
    )
    assert g.is_online and g.published_at == datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    assert g.client is None
    assert g.expires_at == datetime(2026, 12, 1, tzinfo=UTC)


def test_it_converts_offsets_to_utc(make_gallery):
    g = Gallery.from_dict(make_gallery(updated_at="2026-11-26T12:00:00+02:00"))
    assert g.updated_at == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert g.updated_at.utcoffset() == timedelta(0)


def test_it_accepts_client_without_email(make_gallery):
    g = Gallery.from_dict(make_gallery(client={"name": "Ann"}))
    assert g.client == GalleryClient(name="Ann", email=None)


def test_it_ignores_unknown_fields(make_gallery):
    assert Gallery.from_dict(make_gallery(new_field={"x": 1})).id == "gal_1"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 12),
        ("id", ""),
        ("name", None),
        ("status", "archived"),
        ("image_count", "12"),
        ("image_count", True),
        ("image_count", -1),
        ("image_count", 1.5),
        ("public_url", None),
        ("client", "Ann"),
        ("event_date", "20/06/2026"),
        ("event_date", "2026-02-30"),
        ("brand_id", 5),
    ],
)
def test_it_rejects_wrong_type(make_gallery, field, value):
    with pytest.raises(errors.BadResponse) as exc:
        Gallery.from_dict(make_gallery(**{field: value}))
    assert exc.value.field == field


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-26T10:00:00",  # no zone
        "2026-11-26 10:00:00Z",  # no T
        "2026-11-26",
        "yesterday",
        "2026-13-26T10:00:00Z",
        1764151200,
        "",
    ],
)
def test_it_rejects_bad_timestamp(make_gallery, value):
    with pytest.raises(errors.BadResponse) as exc:
        Gallery.from_dict(make_gallery(updated_at=value))
    assert exc.value.field == "updated_at"


@pytest.mark.parametrize("field", ["id", "slug", "created_at", "expires_at", "client", "published_at"])
def test_it_rejects_missing_field(make_gallery, field):
    d = make_gallery()
    del d[field]
    with pytest.raises(errors.BadResponse, match="missing") as exc:
        Gallery.from_dict(d)
    assert exc.value.field == field


def test_it_rejects_body_that_is_not_an_object():
    with pytest.raises(errors.BadResponse):
        Gallery.from_dict(["not", "an", "object"])


# --------------------------------------------------------------------------- orders
def test_it_parses_order(order_json):
    o = Order.from_dict(order_json)
    assert o.number == "PT-1042"
    assert o.total == Decimal("43.20")
    assert o.subtotal == Decimal("40.00")
    assert o.items[0].unit_price == Decimal("20.00")
    assert o.items[0].quantity == 2
    assert o.customer.email == "ann@example.com"
    assert o.placed_at == datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("total", 43.2, "total"),  # money as a float loses precision: refuse it
        ("total", "43,20", "total"),
        ("status", "shipped", "status"),
        ("currency", "usd", "currency"),
        ("items", {}, "items"),
        ("items", [{"sku": "x", "name": "y", "quantity": "2", "unit_price": "1.00"}], "items[0].quantity"),
        ("items", [{"sku": "x", "name": "y", "quantity": 0, "unit_price": "1.00"}], "items[0].quantity"),
        ("customer", None, "customer"),
        ("number", 1042, "number"),
    ],
)
def test_it_rejects_bad_order(make_order, field, value, path):
    with pytest.raises(errors.BadResponse) as exc:
        Order.from_dict(make_order(**{field: value}))
    assert exc.value.field == path


# --------------------------------------------------------------------------- pages
def test_it_parses_page(gallery_json):
    page = Page[Gallery].from_dict({"data": [gallery_json], "next_cursor": "abc"})
    assert [g.id for g in page.data] == ["gal_1"]
    assert page.next_cursor == "abc"


def test_it_parses_last_page():
    page = Page[Gallery].from_dict({"data": [], "next_cursor": None})
    assert page.data == [] and page.next_cursor is None


def test_it_names_the_item_in_a_page(gallery_json):
    bad = dict(gallery_json, updated_at="nope")
    with pytest.raises(errors.BadResponse) as exc:
        Page[Gallery].from_dict({"data": [gallery_json, bad], "next_cursor": None})
    assert exc.value.field == "data[1].updated_at"


@pytest.mark.parametrize(
    "body",
    [{"data": []}, {"data": {}, "next_cursor": None}, {"data": [], "next_cursor": 3}, {"next_cursor": None}],
)
def test_it_rejects_bad_page(body):
    with pytest.raises(errors.BadResponse):
        Page[Gallery].from_dict(body)


# --------------------------------------------------------------------------- tokens
def test_it_parses_token_set_with_expiry(token_json):
    tokens = TokenSet.from_dict(token_json, now=NOW)
    assert tokens.expires_at == NOW + timedelta(seconds=3600)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_in == 3600
    assert tokens.scope == "account:read galleries:read galleries:write orders:read webhooks:write"


def test_token_set_defaults_now_to_utc_now(token_json):
    before = datetime.now(UTC)
    tokens = TokenSet.from_dict(token_json)
    after = datetime.now(UTC)
    assert before + timedelta(seconds=3600) <= tokens.expires_at <= after + timedelta(seconds=3600)


def test_token_set_repr_hides_tokens(token_json):
    tokens = TokenSet.from_dict(token_json, now=NOW)
    assert "AT-secret" not in repr(tokens)
    assert "RT-secret" not in repr(tokens)


@pytest.mark.parametrize(
    ("field", "value"),
    [("access_token", None), ("expires_in", "3600"), ("token_type", "mac"), ("refresh_token", "")],
)
def test_it_rejects_bad_token_set(token_json, field, value):
    token_json[field] = value
    with pytest.raises(errors.BadResponse):
        TokenSet.from_dict(token_json, now=NOW)


def test_token_set_refuses_naive_now(token_json):
    with pytest.raises(ValueError):
        TokenSet.from_dict(token_json, now=datetime(2026, 1, 1))


# --------------------------------------------------------------------------- webhooks
def test_it_parses_webhook_subscription_and_hides_secret():
    sub = WebhookSubscription.from_dict(
        {"id": "wh_1", "url": "https://crm.example/hook", "events": ["order.created"], "secret": "whsec_abc"}
    )
    assert sub.events == ("order.created",) and sub.secret == "whsec_abc"
    assert "whsec_abc" not in repr(sub)
    listed = WebhookSubscription.from_dict(
        {"id": "wh_1", "url": "https://crm.example/hook", "events": ["order.created"]}
    )
    assert listed.secret is None


def test_it_parses_webhook_events(gallery_json, order_json):
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "gallery.updated",
            "created_at": "2026-11-26T10:00:00Z",
            "account_id": "acc_1",
            "data": gallery_json,
        }
    )
    event = WebhookEvent.from_body(body.encode())
    assert event.type == "gallery.updated" and event.resource == "gallery"
    assert event.gallery().id == "gal_1"
    with pytest.raises(ValueError):
        event.order()

    event = WebhookEvent.from_dict(
        {
            "id": "evt_2",
            "type": "order.updated",
            "created_at": "2026-11-26T10:00:00Z",
            "account_id": "acc_1",
            "data": order_json,
        }
    )
    assert event.order().number == "PT-1042"
    with pytest.raises(ValueError):
        event.gallery()


def test_webhook_event_reports_bad_payload_in_data(gallery_json):
    event = WebhookEvent.from_dict(
        {
            "id": "evt_1",
            "type": "gallery.created",
            "created_at": "2026-11-26T10:00:00Z",
            "account_id": "acc_1",
            "data": dict(gallery_json, image_count="x"),
        }
    )
    with pytest.raises(errors.BadResponse) as exc:
        event.gallery()
    assert exc.value.field == "data.image_count"


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"id": "evt_1"}', b"\xff\xfe"])
def test_webhook_event_rejects_garbage(raw):
    with pytest.raises(errors.BadResponse):
        WebhookEvent.from_body(raw)


# --------------------------------------------------------------------------- gallery create body
def test_gallery_create_drops_nones():
    assert GalleryCreate(name="Smith Wedding").to_body() == {"name": "Smith Wedding"}
    body = GalleryCreate(
        name="Smith Wedding",
        event_date=date(2026, 6, 20),
        client_name="Ann",
        client_email="ann@example.com",
        brand_id="br_1",
        preset_id=None,
        slug="smith",
        external_ref="project-42",
    ).to_body()
    assert body == {
        "name": "Smith Wedding",
        "event_date": "2026-06-20",
        "client": {"name": "Ann", "email": "ann@example.com"},
        "brand_id": "br_1",
        "slug": "smith",
        "external_ref": "project-42",
    }
    assert GalleryCreate(name="X", client_name="Ann").to_body()["client"] == {"name": "Ann"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "x" * 201},
        {"name": "X", "client_email": "a@example.com"},
        {"name": "X", "event_date": datetime(2026, 1, 1, tzinfo=UTC)},
        {"name": "X", "event_date": "2026-01-01"},
    ],
)
def test_gallery_create_validates(kwargs):
    with pytest.raises(ValueError):
        GalleryCreate(**kwargs)


# --------------------------------------------------------------------------- timestamps
def test_format_timestamp_uses_z_and_converts():
    stamp = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    assert format_timestamp(stamp) == "2026-11-26T10:00:00.123456Z"
    plus2 = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2026, 11, 26, 12, 0, tzinfo=plus2)) == "2026-11-26T10:00:00Z"
    with pytest.raises(ValueError):
        format_timestamp(datetime(2026, 11, 26, 10, 0))
    assert parse_timestamp(format_timestamp(NOW)) == NOW


# --------------------------------------------------------------------------- signatures
SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"order.created"}'
T = 1_800_000_000


def test_it_accepts_a_good_signature():
    header = sign(BODY, SECRET, T)
    assert verify_signature(BODY, header, SECRET, now=T + 10) == T
    assert verify_signature(BODY, header, SECRET, now=datetime.fromtimestamp(T, UTC)) == T


def test_signature_matches_contract_formula():
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET, T) == f"t={T},v1={expected}"


def test_it_accepts_any_matching_v1_and_extra_spaces():
    good = sign(BODY, SECRET, T).split("v1=")[1]
    header = f"t={T}, v1={'0' * 64}, v1={good}"
    assert verify_signature(BODY, header, SECRET, now=T) == T


def test_it_rejects_a_tampered_body():
    header = sign(BODY, SECRET, T)
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY.replace(b"created", b"updated"), header, SECRET, now=T)
    assert exc.value.reason == "mismatch"


def test_it_rejects_a_wrong_secret():
    header = sign(BODY, "another_secret", T)
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY, header, SECRET, now=T)
    assert exc.value.reason == "mismatch"


def test_it_rejects_a_stale_timestamp():
    header = sign(BODY, SECRET, T)
    assert verify_signature(BODY, header, SECRET, now=T + 300) == T
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY, header, SECRET, now=T + 301)
    assert exc.value.reason == "stale"
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, now=T - 301)  # far in the future
    assert verify_signature(BODY, header, SECRET, now=T + 500, tolerance=600) == T


def test_it_rejects_a_timestamp_not_covered_by_the_signature():
    header = sign(BODY, SECRET, T).replace(f"t={T}", f"t={T + 60}")
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY, header, SECRET, now=T + 60)
    assert exc.value.reason == "mismatch"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={T}",
        "v1=abcdef",
        f"t=abc,v1={'0' * 64}",
        f"t=-{T},v1={'0' * 64}",
        f"t={T},t={T},v1={'0' * 64}",
        f"t={T};v1={'0' * 64}",
        "x" * 5000,
    ],
)
def test_it_rejects_a_malformed_header(header):
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY, header, SECRET, now=T)
    assert exc.value.reason == "malformed"


@pytest.mark.parametrize("header", [None, ""])
def test_it_rejects_a_missing_header(header):
    with pytest.raises(InvalidSignature) as exc:
        verify_signature(BODY, header, SECRET, now=T)
    assert exc.value.reason == "missing"


def test_it_rejects_non_hex_signature_without_crashing():
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, f"t={T},v1=é{'0' * 63}", SECRET, now=T)


# --------------------------------------------------------------------------- strictness and links
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "Smith\x00Wedding"}, "name"),  # PostgreSQL stores no NUL
        ({"name": "x" * 201}, "name"),  # longer than the CRM's column
        ({"name": ""}, "name"),  # the contract's minLength
        ({"id": "g" * 101}, "id"),
        ({"image_count": 2**31}, "image_count"),
        ({"client": {"name": "Ann", "email": 5}}, "client.email"),
        ({"client": {"email": "ann@example.com"}}, "client.name"),
        ({"published_at": "2026-11-26T10:00:00.123Z", "status": "live"}, "status"),
    ],
)
def test_it_refuses_what_the_crm_could_not_store(make_gallery, overrides, field):
    with pytest.raises(errors.BadResponse) as exc:
        Gallery.from_dict(make_gallery(**overrides))
    assert exc.value.field == field
    assert str(exc.value).startswith(f"Unexpected Pic-Time response: {field} should be ")


def test_the_message_says_what_was_expected_and_what_came(make_gallery):
    with pytest.raises(errors.BadResponse) as exc:
        Gallery.from_dict(make_gallery(updated_at="yesterday"))
    assert str(exc.value) == (
        "Unexpected Pic-Time response: updated_at should be an ISO 8601 timestamp with a zone, "
        "got str 'yesterday'"
    )


@pytest.mark.parametrize(("value", "path"), [("1" * 11 + ".00", "total"), ("-", "total"), ("1e3", "total")])
def test_it_refuses_amounts_past_what_the_crm_stores(make_order, value, path):
    with pytest.raises(errors.BadResponse) as exc:
        Order.from_dict(make_order(total=value))
    assert exc.value.field == path


def test_an_answer_cannot_say_which_of_its_links_were_refused(make_gallery):
    g = Gallery.from_dict(
        make_gallery(refused_urls=[["public_url", "fine"]], public_url="javascript:alert(1)")
    )
    assert g.public_url is None
    assert [name for name, _ in g.refused_urls] == ["public_url"]
    assert Gallery.from_dict(make_gallery(refused_urls=[["edit_url", "x"]])).refused_urls == ()


def test_the_url_policy_follows_the_settings_as_they_change(make_gallery, settings):
    body = make_gallery(public_url="http://pictime.example/g/1", edit_url="https://other.example/e/1")
    settings.PICTIME_BASE_URL, settings.PICTIME_PUBLIC_URL = "https://api.pictime.example", ""
    settings.PICTIME_URL_HOSTS = ["pictime.example"]
    g = Gallery.from_dict(body)
    assert (g.public_url, g.edit_url) == (None, None)
    assert dict(g.refused_urls) == {
        "public_url": "scheme 'http' is not allowed (only https)",
        "edit_url": "host 'other.example' is not Pic-Time's",
    }
    settings.PICTIME_BASE_URL, settings.PICTIME_URL_HOSTS = "http://127.0.0.1:8001", []  # the sandbox
    g = Gallery.from_dict(body)
    assert (g.public_url, g.edit_url, g.refused_urls) == (body["public_url"], body["edit_url"], ())


def test_token_set_computes_its_own_expiry(token_json):
    # Authlib adds an expires_at of its own to the answer: the expiry is ours, from expires_in.
    tokens = TokenSet.from_dict(dict(token_json, expires_at=1, scope=None), now=NOW)
    assert tokens.expires_at == NOW + timedelta(seconds=3600)
    assert tokens.scope == ""


def test_webhook_event_keeps_its_data_raw_and_bounded(gallery_json):
    event = {
        "id": "evt_1",
        "type": "gallery.updated",
        "created_at": "2026-11-26T10:00:00Z",
        "account_id": "a",
    }
    deep = {"x": 1}
    for _ in range(25):
        deep = {"x": deep}
    with pytest.raises(errors.BadResponse, match="nested deeper"):
        WebhookEvent.from_body(json.dumps(dict(event, data=dict(gallery_json, extra=deep))))
    with pytest.raises(errors.BadResponse, match="NUL"):
        WebhookEvent.from_body(json.dumps(dict(event, data=dict(gallery_json, note="a\x00b"))))
    with pytest.raises(errors.BadResponse) as exc:
        WebhookEvent.from_body(json.dumps(dict(event, data=dict(gallery_json, status="gone"))))
    assert exc.value.field == "data.status"
    parsed = WebhookEvent.from_body(json.dumps(dict(event, data=dict(gallery_json, extra={"kept": True}))))
    assert parsed.data["extra"] == {"kept": True}
