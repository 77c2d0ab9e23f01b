"""The actors of every test: a studio's owner, a teammate, and an outsider from another studio."""

import datetime
import time
import uuid
from decimal import Decimal

import pytest
import responses
from django.test import Client as HttpClient

import pictime.client.transport
from crm.clients.models import Client
from crm.companies.models import Company, Membership
from crm.companies.services import add_team_member, sign_up
from crm.payments.services import create_invoice, send_invoice
from crm.projects.services import create_project
from tests.factories import deliver, link_gallery, make_connection
from tests.helpers import free_port

PASSWORD = "correct-horse-battery"


@pytest.fixture
def owner(db):
    return sign_up(company_name="Lumen Studio", name="Ada Owner", email="ada@lumen.test", password=PASSWORD)


@pytest.fixture
def company(owner) -> Company:
    return owner.membership.company


@pytest.fixture
def teammate(company):
    return add_team_member(company=company, name="Tom Teammate", email="tom@lumen.test", password=PASSWORD)


@pytest.fixture
def outsider(db):
    return sign_up(
        company_name="Other Studio", name="Olga Outsider", email="olga@other.test", password=PASSWORD
    )


@pytest.fixture
def other_company(outsider) -> Company:
    return outsider.membership.company


def logged_in(user) -> HttpClient:
    """A browser session of `user` (Django's test client)."""
    http = HttpClient()
    http.force_login(user)
    return http


def signed_in(user_fixture, as_user=logged_in):
    """A fixture: the user of the fixture named `user_fixture`, signed in by `as_user(user)`."""

    @pytest.fixture
    def fixture(request):
        return as_user(request.getfixturevalue(user_fixture))

    return fixture


owner_client = signed_in("owner")
teammate_client = signed_in("teammate")
outsider_client = signed_in("outsider")


@pytest.fixture
def client_person(company):
    return Client.objects.create(company=company, name="Bella Bride", email="bella@example.com")


@pytest.fixture
def project(company, client_person):
    return create_project(
        company=company,
        client=client_person,
        name="Bella & Ben Wedding",
        type="wedding",
        event_date=datetime.date(2027, 6, 12),
    )


@pytest.fixture
def invoice(project):
    """A sent invoice with two installments: 1,000.00 now and 2,500.00 later."""
    invoice = create_invoice(
        project=project,
        title="Wedding collection",
        schedule=[
            (Decimal("1000.00"), datetime.date(2027, 1, 15)),
            (Decimal("2500.00"), datetime.date(2027, 5, 1)),
        ],
    )
    return send_invoice(invoice)


@pytest.fixture
def installment(invoice):
    return invoice.installments.get(position=1)


def other_company_project(other_company):
    client = Client.objects.create(company=other_company, name="Xavier Other", email="x@other.test")
    return create_project(company=other_company, client=client, name="Other wedding", type="wedding")


@pytest.fixture
def other_project(other_company):
    return other_company_project(other_company)


# Chromium from Debian, driven by Playwright (pytest-playwright's fixtures).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium for pytest-playwright (no browser downloads on this machine)."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def login_in_browser(live_server):
    """Logs a user in through the login page, as a person would."""

    def login(page, email, password=PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()

    return login


__all__ = ["PASSWORD", "Membership"]


# Pic-Time: the sandbox (sandbox.pytest_plugin) plays Pic-Time over real HTTP.
@pytest.fixture
def pictime_settings(settings, sandbox, request):
    """Points the CRM at the sandbox and registers the CRM there as an OAuth client."""
    if "live_server" in request.fixturenames:
        settings.SITE_URL = request.getfixturevalue("live_server").url
    else:
        settings.SITE_URL = "http://testserver"
    settings.PICTIME_BASE_URL = sandbox.url
    settings.PICTIME_CLIENT_ID = "studio-crm-tests"
    settings.PICTIME_CLIENT_SECRET = "studio-crm-tests-secret"
    sandbox.register_client(
        settings.PICTIME_CLIENT_ID,
        settings.PICTIME_CLIENT_SECRET,
        [settings.SITE_URL + "/integrations/pictime/callback/"],
        name="Studio CRM",
    )
    return settings


@pytest.fixture
def pictime_account(sandbox):
    """A fresh Pic-Time account at the sandbox (its data outlives reset(), so each test gets its own)."""
    suffix = uuid.uuid4().hex[:8]
    return sandbox.create_account(name=f"Lumen Photography {suffix}", email=f"lumen-{suffix}@pictime.test")


@pytest.fixture
def connection(company, pictime_settings, pictime_account, sandbox):
    """The company connected to its Pic-Time account with a real grant from the sandbox."""
    from pictime.schemas import TokenSet
    from pictime.services.connection import connect_account

    grant = sandbox.issue_grant(pictime_account["id"], pictime_settings.PICTIME_CLIENT_ID)
    return connect_account(company=company, tokens=TokenSet.from_dict(grant)).connection


@pytest.fixture
def gallery(sandbox, pictime_account):
    """A gallery at Pic-Time (the webhook tests send its changes)."""
    return sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")


@pytest.fixture
def link(connection, project, gallery):
    """`gallery` linked to the project."""
    return link_gallery(connection, project, gallery)


@pytest.fixture
def send(client, connection, django_capture_on_commit_callbacks):
    """Delivers a signed webhook event; the task queued after commit runs (eagerly) before it returns."""

    def send(body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver(client, connection, body, **kwargs)

    return send


@pytest.fixture
def linked(sandbox, pictime_account, connection, project):
    """A gallery at Pic-Time linked to the project; then 5 photos and an order arrive at Pic-Time."""
    gallery = sandbox.create_gallery(pictime_account["id"], name="Wedding day")
    link = link_gallery(connection, project, gallery)
    sandbox.add_photos(gallery["id"], 5)
    sandbox.place_order(
        gallery["id"], items=[{"sku": "P", "name": "Print", "quantity": 1, "unit_price": "9.00"}]
    )
    return link


@pytest.fixture
def waits(monkeypatch):
    """The Pic-Time client's waits, recorded and really waited (the sandbox's rate limit keeps real
    time)."""
    made = []

    def wait(seconds):
        made.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(pictime.client.transport, "sleep", wait)
    return made


@pytest.fixture
def smtp_server_factory():
    """Starts aiosmtpd on a free loopback port: `start(refuse=N)` → (port, handler), the handler
    keeping what it receives (`messages`) after refusing the first N with 451 (`refused`)."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self, refuse):
            self.messages, self.refused, self.refuse = [], 0, refuse

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            if self.refused < self.refuse:
                self.refused += 1
                return "451 Try again later"
            self.messages.append(envelope)
            return "250 OK"

    controllers = []

    def start(refuse=0):
        port = free_port()
        handler = Keep(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return port, handler

    yield start
    for controller in controllers:
        controller.stop()


class BrokerDown:
    """Celery's broker unreachable, as with Redis down: tasks are published (not run here, as in the
    other tests) to a closed port, and publishing fails for real. ``back()`` ends it: tasks run here
    again, as a worker would take them once Redis is back. Also a ``with`` block: down inside it."""

    UNREACHABLE = "redis://127.0.0.1:1/0"

    def __init__(self):
        from crm.celery import app

        self.app = app
        self.saved = (app.conf.task_always_eager, app.conf.broker_write_url)
        self.down = True
        self._use(eager=False, url=self.UNREACHABLE)

    def _use(self, *, eager, url):
        self.app.conf.task_always_eager = eager
        self.app.conf.broker_write_url = url  # where tasks are published (None: the broker's URL)
        self.app._after_fork()  # Celery's connection pools are dropped, so the next publish uses `url`

    def back(self):
        if self.down:
            self.down = False
            self._use(eager=self.saved[0], url=self.saved[1])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.back()


@pytest.fixture
def broker_down():
    down = BrokerDown()
    yield down
    down.back()


# Pic-Time's API mocked on the network, for the tests of our own logic (the sandbox above stays for
# the contract and end-to-end tests).
PICTIME_URL = "https://pictime.test"
PICTIME_API = PICTIME_URL + "/api/v2"


@pytest.fixture
def pictime_api(settings):
    """Pic-Time's API mocked on the network (`responses`) at PICTIME_API: a test registers the answers
    it expects; one it registered but the CRM never asked for fails the test, as does a request it
    did not register."""
    settings.PICTIME_BASE_URL = PICTIME_URL
    settings.SITE_URL = "http://testserver"  # the CRM's links, as Django's test client reaches it
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
        # A request nothing was registered for is refused with ConnectionError, which the CRM may
        # handle as Pic-Time being down: it still fails the test.
        unexpected = [
            f"{c.request.method} {c.request.url}" for c in mock.calls if isinstance(c.response, Exception)
        ]
        assert not unexpected, f"requests to Pic-Time no test expected: {unexpected}"


@pytest.fixture
def mocked_connection(company, pictime_api):
    """A connected Pic-Time account (a valid token, made in the database) whose API is `pictime_api`."""
    return make_connection(company)


@pytest.fixture
def backoffs(monkeypatch):
    """The Pic-Time client's waits, recorded and not waited (only for waits no limit keeps in real
    time: a transient error's backoff)."""
    made = []
    monkeypatch.setattr(pictime.client.transport, "sleep", made.append)
    return made


@pytest.fixture
def live_process(transactional_db, settings):
    """The live process (uvicorn on crm.asgi, as `make run` and docker-compose start it) in a thread
    of the test, on the test database: the open workspace's event stream comes from it. Its `url`;
    `stop()` takes it away, as a crash would."""
    import threading
    from types import SimpleNamespace

    from crm.live import LiveServer, config

    port = free_port()
    server = LiveServer(config("127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the live process did not start"
        time.sleep(0.02)

    def stop():
        server.should_exit = True
        thread.join(5)

    settings.LIVE_URL = f"http://127.0.0.1:{port}"
    yield SimpleNamespace(url=settings.LIVE_URL, stop=stop)
    stop()
