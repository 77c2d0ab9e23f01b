"""What a person reads on a page, and small utilities the test modules share (not a test module).

- a page's text, its messages, a project's workspace, Settings > Integrations and a project's
  activity feed: text, messages_of, workspace, integrations_tab (at TAB), feed;
- the SQL a block sent, without the savepoints of nested atomic blocks: statements;
- a sent invoice, and a client's card payment with what it starts after the commit run here:
  sent_invoice, pay;
- a loopback port nothing listens on: free_port;
- a connection's access token as a call to Pic-Time takes it (the row read now): access_token.
"""

import html
import re
import socket
from decimal import Decimal

from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.models import Activity


def text(page) -> str:
    """The page's text (a response or its HTML) without tags, whitespace collapsed: what a person
    reads."""
    markup = page if isinstance(page, str) else page.content.decode()
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def messages_of(response) -> list[str]:
    """The messages shown at the top of the page."""
    found = re.findall(r'<li class="msg[^"]*" role="status">(.*?)</li>', response.content.decode(), re.S)
    return [html.unescape(m) for m in found]


def workspace(http, project) -> str:
    """The project's workspace page as `http`'s user gets it (it must open)."""
    response = http.get(project.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


TAB = "/settings/integrations/"


def integrations_tab(http) -> str:
    """Company Settings > Integrations as `http`'s user reads it (it must open)."""
    response = http.get(TAB)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def feed(project, kind=None) -> list[str]:
    """The project's activity feed, oldest first; only the lines of `kind` if given."""
    activities = Activity.objects.filter(project=project)
    if kind is not None:
        activities = activities.filter(kind=kind)
    return list(activities.values_list("message", flat=True))


def statements(captured) -> list[str]:
    """The SQL captured by `django_assert_num_queries`/`CaptureQueriesContext`, savepoints left out."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def sent_invoice(project, title, *schedule):
    """`project`'s invoice `title`, sent: `schedule` is its payments' (amount, due date) pairs."""
    rows = [(Decimal(amount), due) for amount, due in schedule]
    return send_invoice(create_invoice(project=project, title=title, schedule=rows))


def pay(installment, capture, amount="1000.00"):
    """The client pays `amount` on `installment` by card; what the payment queues after the commit
    (the auto-create task) runs here, eagerly. `capture` is django_capture_on_commit_callbacks."""
    with capture(execute=True):
        return record_payment(installment=installment, amount=Decimal(amount), method="card")


def free_port() -> int:
    """A loopback port that was free a moment ago (nothing listens once the socket is closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_task(task, *args, **options):
    """A task run eagerly, in this process, and its result. (A live server's thread running an eager
    task at the same moment makes Celery's process-wide "inside a task" flag true, and result.get()
    would refuse to block.)"""
    return task.apply(args=args, **options).get(disable_sync_subtasks=False)


def access_token(connection_id: int) -> str:
    """The token a call to Pic-Time would take now: the connection read again, its token refreshed
    first when it is about to expire (pictime.tokens.access_token_of)."""
    from pictime.models import Connection
    from pictime.tokens import access_token_of

    return access_token_of(Connection.objects.select_related("integration").get(pk=connection_id))
