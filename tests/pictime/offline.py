"""Tests of our own logic with Pic-Time's API mocked on the network (`pictime_api`, tests/fixtures.py):

- the `connection`, `pictime_account` and `gallery` fixtures, to import in place of the sandbox's of
  the same names: a connection made in the database, whose API answers only what the test registers
  (any other request fails the test);
- the answers a test registers, shaped as the contract says (contract/pictime-openapi.yaml): a
  gallery, a page of galleries or orders, a created gallery, an error.
"""

import copy

import pytest
from responses import matchers

from tests.fixtures import PICTIME_API
from tests.pictime_client.conftest import ACCOUNT, gallery_dict

DOWN = {"error": {"code": "internal_error", "message": "Something broke"}}
NOT_FOUND = {"error": {"code": "not_found", "message": "No such gallery"}}


@pytest.fixture(name="connection")
def offline_connection(mocked_connection):
    """Connected as connecting leaves it: the account's brands and presets read, the first of each
    the default for new galleries."""
    account = copy.deepcopy(ACCOUNT)
    account["presets"].append({"id": "pr_2", "name": "Portrait default"})
    mocked_connection.brands, mocked_connection.presets = account["brands"], account["presets"]
    mocked_connection.default_brand_id = account["brands"][0]["id"]
    mocked_connection.default_preset_id = account["presets"][0]["id"]
    mocked_connection.save()
    return mocked_connection


@pytest.fixture(name="pictime_account")
def offline_account(mocked_connection):
    return {"id": mocked_connection.account_id, "name": mocked_connection.account_name}


@pytest.fixture(name="gallery")
def offline_gallery():
    """A gallery as Pic-Time sends it (tests/pictime_client/conftest.py's, named for the project)."""
    return gallery_dict(name="Bella & Ben Wedding", slug="bella-ben-wedding")


def page(*items, next_cursor=None) -> dict:
    return {"data": list(items), "next_cursor": next_cursor}


def answer_gallery(api, gallery, status=200):
    """GET /galleries/{id}: the gallery (or, with a status, the error it stands for)."""
    body = gallery if status == 200 else (NOT_FOUND if status == 404 else DOWN)
    api.get(f"{PICTIME_API}/galleries/{gallery['id']}", json=body, status=status)


def answer_galleries(api, *galleries, next_cursor=None, **query):
    """GET /galleries with (at least) these query parameters: one page of `galleries`."""
    match = [matchers.query_param_matcher(query, strict_match=False)] if query else []
    api.get(PICTIME_API + "/galleries", json=page(*galleries, next_cursor=next_cursor), match=match)


def answer_orders(api, gallery_id, *orders):
    """GET /orders?gallery_id=: the gallery's orders, one page."""
    match = [matchers.query_param_matcher({"gallery_id": gallery_id}, strict_match=False)]
    api.get(PICTIME_API + "/orders", json=page(*orders), match=match)


def answer_create(api, gallery, idempotency_key):
    """POST /galleries with this Idempotency-Key: the gallery made (Pic-Time's answer again for the
    same key)."""
    match = [matchers.header_matcher({"Idempotency-Key": idempotency_key})]
    api.post(PICTIME_API + "/galleries", json=gallery, status=201, match=match)


def answer_create_refused(api, field, message, summary="Invalid"):
    """POST /galleries refused: 422 validation_error, `message` under `field` in its details."""
    refused = {"error": {"code": "validation_error", "message": summary, "details": {field: [message]}}}
    api.post(PICTIME_API + "/galleries", json=refused, status=422)


def answer_down(api, method, path):
    """Pic-Time failing the request: 500, internal_error."""
    api.add(method, PICTIME_API + path, json=DOWN, status=500)


def sent(api, method="", path="") -> list:
    """The requests the CRM sent to Pic-Time (those of `method` to `path` if given)."""
    return [
        call.request
        for call in api.calls
        if (not method or call.request.method == method)
        and (not path or call.request.path_url.split("?")[0] == "/api/v2" + path)
    ]
