import time

from crm.ops import health
from tests.helpers import free_port


def test_healthz_says_ok_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_naming_the_broker_when_it_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
    assert elapsed < 3, f"healthz took {elapsed:.1f}s with the broker down"


def test_healthz_is_503_naming_the_database_when_it_fails(client, db, monkeypatch):
    def broken():
        raise health.connections["default"].Database.OperationalError("the database is gone")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
    assert response.json()["broker"] == "ok"


def test_healthz_needs_no_login_and_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_a_load_balancer_probing_by_ip_with_any_host(client, db, settings):
    settings.ALLOWED_HOSTS = ["crm.example.com"]
    settings.SECURE_SSL_REDIRECT = True  # production: plain HTTP is redirected to HTTPS …
    response = client.get("/healthz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200  # … but not the probe, and its Host isn't checked
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["X-Request-ID"]
    # Every other page still checks the Host header and redirects plain HTTP.
    assert client.get("/login/", HTTP_HOST="10.0.3.17:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="crm.example.com").status_code == 301


def test_healthz_with_a_bad_host_is_still_503_when_the_database_fails(client, db, settings, monkeypatch):
    def broken():
        raise health.connections["default"].Database.OperationalError("the database is gone")

    settings.ALLOWED_HOSTS = ["crm.example.com"]
    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz", HTTP_HOST="10.0.3.17")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
