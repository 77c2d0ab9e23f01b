"""Sample Pic-Time payloads shaped exactly as the contract (contract/pictime-openapi.yaml) says, and
the mocked network of the client's unit tests."""

import copy

import pytest
import responses

GALLERY = {
    "id": "gal_1",
    "name": "Smith Wedding",
    "slug": "smith-wedding",
    "status": "offline",
    "published_at": None,
    "image_count": 0,
    "cover_url": None,
    "public_url": "https://pictime.example/g/acc_1/smith-wedding",
    "edit_url": "https://pictime.example/dashboard/galleries/gal_1",
    "event_date": "2026-06-20",
    "client": {"name": "Ann Smith", "email": "ann@example.com"},
    "brand_id": None,
    "preset_id": None,
    "external_ref": "project-42",
    "created_at": "2026-11-26T10:00:00.123456Z",
    "updated_at": "2026-11-26T10:00:00.123456Z",
    "expires_at": None,
}

ORDER = {
    "id": "ord_1",
    "number": "PT-1042",
    "gallery_id": "gal_1",
    "status": "paid",
    "currency": "USD",
    "subtotal": "40.00",
    "total": "43.20",
    "items": [{"sku": "PRINT-8x10", "name": "8x10 print", "quantity": 2, "unit_price": "20.00"}],
    "customer": {"name": "Ann Smith", "email": "ann@example.com"},
    "placed_at": "2026-11-26T11:00:00Z",
    "updated_at": "2026-11-26T11:00:00Z",
}

ACCOUNT = {
    "id": "acc_1",
    "name": "Jane Doe Photography",
    "email": "jane@example.com",
    "plan": "pro",
    "brands": [{"id": "br_1", "name": "Jane Doe Weddings"}],
    "presets": [{"id": "pr_1", "name": "Wedding default"}],
}

TOKEN = {
    "access_token": "AT-secret-access-123",
    "token_type": "Bearer",
    "expires_in": 3600,
    "refresh_token": "RT-secret-refresh-456",
    "scope": "account:read galleries:read galleries:write orders:read webhooks:write",
}


def gallery_dict(**overrides):
    d = copy.deepcopy(GALLERY)
    d.update(overrides)
    return d


def order_dict(**overrides):
    d = copy.deepcopy(ORDER)
    d.update(overrides)
    return d


@pytest.fixture
def gallery_json():
    return gallery_dict()


@pytest.fixture
def order_json():
    return order_dict()


@pytest.fixture
def account_json():
    return copy.deepcopy(ACCOUNT)


@pytest.fixture
def token_json():
    return copy.deepcopy(TOKEN)


@pytest.fixture
def make_gallery():
    return gallery_dict


@pytest.fixture
def make_order():
    return order_dict


@pytest.fixture
def mocked():
    """The network, mocked (the client's unit tests only). A request a test expects but the client
    never sends fails the test, as does one the test did not expect."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
