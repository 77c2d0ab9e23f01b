"""Abuse is slowed: sign-in locks out per account and per address (django-axes) with a clear
message, and the right user signs in again after the cool-off; API tokens, users and the calls that
spend a company's Pic-Time rate limit are throttled (DRF)."""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts for this account or from this address."


def sign_in(url, email, password, address="127.0.0.1"):
    return Browser(REMOTE_ADDR=address).post(url, {"username": email, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser(username="root@studio.test", password=PASSWORD)


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_forty_wrong_passwords_lock_the_account_with_a_clear_message(url, owner, staff):
    email = staff.username if url.startswith("/admin") else owner.username
    answers = [sign_in(url, email, f"wrong-{n}").status_code for n in range(40)]
    assert answers[:4] == [200] * 4  # the form again, "not right"
    assert set(answers[5:]) == {429}  # then locked: the attempts are no longer tried
    locked = sign_in(url, email, PASSWORD)  # the right password too, while locked
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert "paused for 15 minutes" in locked.content.decode()
    assert not signed_in(locked)


def test_the_account_locks_whatever_address_the_attempts_come_from(owner):
    for n in range(5):
        sign_in("/login/", owner.username.upper(), "wrong", address=f"10.0.0.{n}")
    response = sign_in("/login/", owner.username, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert not signed_in(response)


def test_the_address_locks_whatever_accounts_it_tries(owner, teammate):
    for n in range(5):
        sign_in("/login/", f"guess-{n}@lumen.test", "wrong", address="10.1.1.1")
    assert sign_in("/login/", teammate.username, PASSWORD, address="10.1.1.1").status_code == 429
    # Another address is not affected; nor is the account from there.
    assert signed_in(sign_in("/login/", teammate.username, PASSWORD, address="10.2.2.2"))


def test_the_right_user_signs_in_after_the_cool_off(owner):
    with override_settings(AXES_COOLOFF_TIME=datetime.timedelta(seconds=3)):
        for _ in range(5):
            sign_in("/login/", owner.username, "wrong")
        assert sign_in("/login/", owner.username, PASSWORD).status_code == 429
        time.sleep(3.5)
        response = sign_in("/login/", owner.username, PASSWORD)
        assert signed_in(response)
    assert AccessAttempt.objects.count() == 0  # a successful sign-in clears the failures


def test_a_few_typos_do_not_lock_anyone_out(owner):
    for _ in range(4):
        sign_in("/login/", owner.username, "typo")
    assert signed_in(sign_in("/login/", owner.username, PASSWORD))


def test_api_sign_in_is_behind_the_same_lockout(owner):
    api = APIClient()
    answers = [
        api.post(
            "/api/auth/token/", {"email": owner.username, "password": "wrong"}, format="json"
        ).status_code
        for _ in range(5)
    ]
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks
    r = api.post("/api/auth/token/", {"email": owner.username, "password": PASSWORD}, format="json")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "locked_out"
    assert AuthToken.objects.count() == 0


# API throttles


def test_wrong_tokens_are_throttled_per_address(owner_api):
    api = APIClient(REMOTE_ADDR="10.3.3.3")
    statuses = []
    for n in range(40):
        api.credentials(HTTP_AUTHORIZATION=f"Token {n:064x}")
        statuses.append(api.get("/api/projects/").status_code)
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    # The address is refused even with a good token until the window has passed ...
    good = owner_api._credentials["HTTP_AUTHORIZATION"]
    api.credentials(HTTP_AUTHORIZATION=good)
    assert api.get("/api/projects/").status_code == 429
    # ... while the owner, from another address, is not slowed down.
    assert owner_api.get("/api/projects/").status_code == 200


def test_anonymous_calls_are_throttled_per_address(db):
    with override_settings(REST_FRAMEWORK={**_rest(), "DEFAULT_THROTTLE_RATES": _rates(anon="3/min")}):
        api = APIClient(REMOTE_ADDR="10.4.4.4")
        assert [api.get("/api/projects/").status_code for _ in range(5)] == [401, 401, 401, 429, 429]


def test_each_user_has_a_rate(owner_api, teammate_api):
    with override_settings(REST_FRAMEWORK={**_rest(), "DEFAULT_THROTTLE_RATES": _rates(user="3/min")}):
        assert [owner_api.get("/api/projects/").status_code for _ in range(4)] == [200, 200, 200, 429]
        r = owner_api.get("/api/projects/")
        assert r.json()["error"]["code"] == "throttled"
        assert int(r["Retry-After"]) > 0
        assert teammate_api.get("/api/projects/").status_code == 200  # another user's own rate


def test_the_calls_that_reach_pictime_share_one_limit_per_company(
    owner_api, teammate_api, outsider_api, project, other_project
):
    available = f"/api/projects/{project.pk}/galleries/available/"
    with override_settings(REST_FRAMEWORK={**_rest(), "DEFAULT_THROTTLE_RATES": _rates(pictime="3/min")}):
        # Not connected: 409, but each call counts against the company's limit.
        assert owner_api.get(available).status_code == 409
        assert owner_api.get(available).status_code == 409
        assert teammate_api.post(f"/api/projects/{project.pk}/galleries/", {}).status_code == 400
        assert teammate_api.get(available).status_code == 429  # the teammate too: the company's limit
        assert owner_api.get(f"/api/projects/{project.pk}/galleries/").status_code == 200  # no Pic-Time
        other = f"/api/projects/{other_project.pk}/galleries/available/"
        assert outsider_api.get(other).status_code == 409  # another company's own limit


def _rest():
    from django.conf import settings

    return settings.REST_FRAMEWORK


def _rates(**rates):
    return {**api_settings.DEFAULT_THROTTLE_RATES, **rates}
