"""Fixtures of the sandbox's own tests. They talk to a started sandbox over HTTP only, so they run the
same under the CRM's pytest-django settings (no Django test database is needed) and without them."""

import os
import sys

import pytest

if os.path.dirname(__file__) not in sys.path:  # the helpers module, whatever the import mode
    sys.path.insert(0, os.path.dirname(__file__))

CLIENT_ID = "sandbox-suite-client"  # its own OAuth client: the CRM tests register theirs
CLIENT_SECRET = "tests-secret+/="  # characters that HTTP Basic form-encoding changes
REDIRECT_URI = "http://127.0.0.1:9/integrations/pictime/callback/"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: drives Debian's Chromium through Playwright")
    if not config.pluginmanager.has_plugin("sandbox.pytest_plugin"):
        config.pluginmanager.import_plugin("sandbox.pytest_plugin")


@pytest.fixture(scope="session")
def contract():
    from pictime_sandbox_helpers import Contract

    return Contract.load()


@pytest.fixture(scope="session")
def oauth_client(pictime_sandbox):
    pictime_sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], name="Studio CRM")
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT_URI}


@pytest.fixture
def account(sandbox):
    from pictime_sandbox_helpers import unique_email

    return sandbox.create_account("Lumen Studio", unique_email())


@pytest.fixture
def api(sandbox, account, oauth_client):
    """An API client for a fresh account, connected through an admin-issued grant."""
    from pictime_sandbox_helpers import Api

    tokens = sandbox.issue_grant(account["id"], CLIENT_ID)
    return Api(sandbox.url, tokens["access_token"], tokens=tokens, account=account)


@pytest.fixture
def other_api(sandbox, oauth_client):
    from pictime_sandbox_helpers import unique_email

    other = sandbox.create_account("Other Studio", unique_email("other"))
    from pictime_sandbox_helpers import Api

    tokens = sandbox.issue_grant(other["id"], CLIENT_ID)
    return Api(sandbox.url, tokens["access_token"], tokens=tokens, account=other)


@pytest.fixture
def receiver():
    from pictime_sandbox_helpers import WebhookReceiver

    r = WebhookReceiver()
    r.start()
    yield r
    r.stop()
