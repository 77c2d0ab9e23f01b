"""The web process's access log (gunicorn with crm/gunicorn_conf.py, as the Procfile and docker-compose
start it) keeps paths, never query strings (OAuth code/state) or portal and webhook tokens."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from crm.ops.access_log import safe_url
from tests.helpers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PORTAL_TOKEN = "PortalSecret0123456789abcdef"
WEBHOOK_TOKEN = "WebhookSecret0123456789abcdef"
CODE, STATE = "OAuthCodeSecret42", "OAuthStateSecret43"


def _database_url(settings, tmp_path):
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'crm.sqlite3'}"  # the answers' status does not matter here


@pytest.fixture
def crm_gunicorn(settings, tmp_path, db):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {"DEBUG": "true", "DATABASE_URL": _database_url(settings, tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    )
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:crm.gunicorn_conf", "crm.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/login/", timeout=10)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the CRM's gunicorn did not start:\n" + log_path.read_text()) from None
                time.sleep(0.2)
        yield url, log_path
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_access_log_has_paths_without_queries_or_tokens(crm_gunicorn):
    url, log_path = crm_gunicorn
    requests.get(
        f"{url}/integrations/pictime/callback/?code={CODE}&state={STATE}", allow_redirects=False, timeout=10
    )
    requests.get(
        f"{url}/portal/{PORTAL_TOKEN}/pay/1/",
        headers={"Referer": f"{url}/portal/{PORTAL_TOKEN}/?code={CODE}"},
        allow_redirects=False,
        timeout=10,
    )
    # GET (405): a POST would store a delivery from another process, outside the test's transaction.
    requests.get(f"{url}/integrations/pictime/webhooks/{WEBHOOK_TOKEN}/", allow_redirects=False, timeout=10)
    requests.get(f"{url}/login/?next=/portal/{PORTAL_TOKEN}/", allow_redirects=False, timeout=10)
    time.sleep(0.5)  # the access log is written after the answer

    log = log_path.read_text()
    for secret in (PORTAL_TOKEN, WEBHOOK_TOKEN, CODE, STATE, "code=", "state=", "next="):
        assert secret not in log, f"{secret!r} is in the access log:\n{log}"
    assert '"GET /integrations/pictime/callback/ HTTP/1.1"' in log
    assert '"GET /portal/***/pay/1/ HTTP/1.1"' in log
    assert f'"{url}/portal/***/"' in log  # the referer, masked too
    assert '"GET /integrations/pictime/webhooks/***/ HTTP/1.1" 405' in log
    assert '"GET /login/ HTTP/1.1" 200' in log


@pytest.mark.parametrize(
    "raw, logged",
    [
        ("/portal/abc/pay/3/?x=1#f", "/portal/***/pay/3/"),
        ("/portal/abc", "/portal/***"),
        ("/portal/", "/portal/"),
        (
            "https://crm.example.com/integrations/pictime/webhooks/tok/?a=b",
            "https://crm.example.com/integrations/pictime/webhooks/***/",
        ),
        ("/projects/12/portal-link/", "/projects/12/portal-link/"),
        ("-", "-"),
        ("", ""),
    ],
)
def test_safe_url(raw, logged):
    assert safe_url(raw) == logged


def test_gunicorns_error_line_has_the_path_without_query_or_token(tmp_path):
    """When a request fails outside Django (a client gone mid-answer, a worker error), gunicorn logs
    "Error handling request <method> <uri>" with the raw URI: it is logged as its safe path."""
    from gunicorn.config import Config

    from crm.ops.access_log import SafeAccessLogger

    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = SafeAccessLogger(config)
    try:
        raise BrokenPipeError("the client went away")
    except BrokenPipeError:
        logger.exception(
            "Error handling request %s %s", "GET", f"/portal/{PORTAL_TOKEN}/?code={CODE}&state={STATE}"
        )
    logged = (tmp_path / "error.log").read_text()
    assert "Error handling request GET /portal/***/" in logged and "BrokenPipeError" in logged
    assert PORTAL_TOKEN not in logged and CODE not in logged and STATE not in logged


@pytest.mark.django_db(transaction=True)
def test_an_open_workspaces_poll_that_finds_nothing_new_is_not_logged_and_one_with_news_is(
    crm_gunicorn, project
):
    """Every open workspace polls once a second: its 204s would be most of the log, saying nothing."""
    from pictime.services.live import project_version, ticket

    url, log_path = crm_gunicorn
    live = f"{url}/integrations/pictime/projects/{project.pk}/galleries/live/"
    current = project_version(project.company, project.pk)
    for _ in range(3):
        answer = requests.get(f"{live}?v={current}&t={ticket(project)}", allow_redirects=False, timeout=10)
        assert answer.status_code == 204
    news = requests.get(f"{live}?v=older&t={ticket(project)}", allow_redirects=False, timeout=10)
    assert news.status_code == 302  # not signed in: the full check sends to the sign-in page
    time.sleep(0.5)  # the access log is written after the answer

    lines = [line for line in log_path.read_text().splitlines() if "/galleries/live/" in line]
    assert (
        len(lines) == 1
        and f'"GET /integrations/pictime/projects/{project.pk}/galleries/live/ HTTP/1.1" 302' in lines[0]
    )
