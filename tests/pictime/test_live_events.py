"""The open workspace's event stream, read over HTTP from the live process (uvicorn on crm.asgi, on
the test database): "changed" within a second of a change the panel shows, nothing while nothing
changes, and nothing at all without the workspace's own ticket."""

import asyncio
import http.client
import logging
import queue
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from pictime.models.links import touch_projects
from pictime.services.live import live_context, project_version, ticket
from pictime.services.live_watch import watch
from tests.waiting import wait_until


class Stream:
    """An EventSource's view of the stream: its events, as they arrive."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.connection.request("GET", f"{parts.path}?{parts.query}")
        self.response = self.connection.getresponse()
        self.events = queue.Queue()
        self.ended = threading.Event()  # the server ended the stream (or the test closed it)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = ""
        try:
            while chunk := self.response.read1().decode():
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    self.events.put(block)
        except Exception:  # noqa: BLE001 - the connection ended: the tab closed, or the server stopped
            pass
        finally:
            self.ended.set()

    def next(self, within: float) -> str | None:
        """The next block of lines sent within `within` seconds, else None."""
        try:
            return self.events.get(timeout=within)
        except queue.Empty:
            return None

    def close(self):
        """As a closed tab: the connection ends (a shutdown, which a blocked read notices)."""
        if self.connection.sock:
            self.connection.sock.shutdown(socket.SHUT_RDWR)
            self.connection.close()


def stream_url(live_url, project, version=None, held=None) -> str:
    path = reverse("pictime:panel_events", args=[project.pk])
    held = ticket(project) if held is None else held
    version = project_version(project.company_id, project.pk) if version is None else version
    return f"{live_url}{path}?t={held}&v={version}"


@pytest.fixture
def opened(live_process):
    streams = []

    def open_stream(url):
        streams.append(Stream(url))
        return streams[-1]

    yield open_stream
    for stream in streams:
        stream.close()


def test_the_stream_tells_of_a_change_at_the_next_tick_and_is_silent_while_nothing_changes(
    live_process, opened, project
):
    stream = opened(stream_url(live_process.url, project))
    assert stream.response.status == 200
    assert stream.response.headers["Content-Type"] == "text/event-stream"
    assert stream.response.headers["Access-Control-Allow-Origin"] == "*"
    assert stream.next(within=2) == "retry: 2000"  # the browser opens it again 2 s after losing it
    assert stream.next(within=1.5) is None

    changed = time.monotonic()
    touch_projects([project.pk])  # what a webhook, the sync or a new order does
    event = stream.next(within=2)
    took = time.monotonic() - changed
    assert event == f"event: changed\ndata: {project_version(project.company_id, project.pk)}"
    assert took < 1.5, f"{took:.2f} s"  # a tick is 0.5 s; the margin is for a loaded machine
    assert stream.next(within=1.2) is None  # once per change


def test_a_workspace_that_shows_an_older_version_is_told_at_once(live_process, opened, project):
    shown = project_version(project.company_id, project.pk)
    touch_projects([project.pk])
    stream = opened(stream_url(live_process.url, project, version=shown))
    assert stream.next(within=2) == "retry: 2000"
    assert stream.next(within=1) == f"event: changed\ndata: {project_version(project.company_id, project.pk)}"


def test_many_workspaces_are_told_by_one_watch_and_a_closed_tab_is_forgotten(
    live_process, opened, project, other_project
):
    ours = [opened(stream_url(live_process.url, project)) for _ in range(3)]
    theirs = opened(stream_url(live_process.url, other_project))
    for stream in [*ours, theirs]:
        assert stream.next(within=2) == "retry: 2000"
    assert wait_until(lambda: watch.watching() == 4, timeout=2, interval=0.02)

    touch_projects([project.pk])
    for stream in ours:
        assert stream.next(within=2).startswith("event: changed\n")
    assert theirs.next(within=1) is None  # another project's change is not theirs

    for stream in [*ours, theirs]:
        stream.close()
    assert wait_until(lambda: watch.watching() == 0, timeout=3, interval=0.05)


def test_a_live_process_that_stops_ends_its_streams_at_once_and_without_an_error(
    live_process, opened, project, caplog
):
    """A deploy: every browser is told to open its stream again (2 s later, from the next process)."""
    stream = opened(stream_url(live_process.url, project))
    assert stream.next(within=2) == "retry: 2000"
    assert wait_until(lambda: watch.watching() == 1, timeout=2, interval=0.02)
    stopping = time.monotonic()
    live_process.stop()
    assert stream.ended.wait(timeout=1)
    assert (
        time.monotonic() - stopping < 2
    )  # not uvicorn's graceful timeout (5 s) for a stream that never ends
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_without_the_workspace_s_own_ticket_there_is_no_stream(live_process, project, other_project):
    forged = ticket(project)[:-2] + "xx"
    for url in (
        stream_url(live_process.url, project, held=""),
        stream_url(live_process.url, project, held=forged),
        # another studio's valid ticket, for our project: its ticket says which project it may watch
        stream_url(live_process.url, project, held=ticket(other_project)),
    ):
        answer = requests.get(url, timeout=5)
        assert answer.status_code == 403
        assert answer.text == "This workspace's ticket is not valid: reload the page."


def test_the_web_process_does_not_hold_streams(client, project):
    """Under WSGI a held stream would pin a gunicorn thread: only the live process serves it."""
    answer = client.get(stream_url("", project))
    assert answer.status_code == 404


def test_the_workspace_is_given_its_stream_only_when_there_is_a_live_process(settings, project):
    settings.LIVE_URL = ""
    assert live_context(project)["events_url"] == ""
    settings.LIVE_URL = "https://live.studio.test"
    url = live_context(project)["events_url"]
    assert url.startswith(
        f"https://live.studio.test/integrations/pictime/projects/{project.pk}/galleries/events/?t="
    )
    assert url.endswith(f"&v={project_version(project.company_id, project.pk)}")


def test_a_tab_closed_in_the_instant_its_change_arrives_ends_its_stream(transactional_db, project):
    """A race of the watch, once in a while in production: the stream must end (not go on writing
    to nobody, holding its thread and its place in the watch)."""
    from pictime.services.live_watch import VersionWatch

    key = (project.company_id, project.pk)

    async def closed_as_told():
        watching = VersionWatch(tick=60)
        stream = asyncio.create_task(watching.changed(key, "older", timeout=10))
        while not watching.watching():
            await asyncio.sleep(0)
        (_, future) = watching._waiting[key][0]
        future.set_result(project_version(*key))  # the tick tells it...
        stream.cancel()  # ...as the tab closes
        with pytest.raises(asyncio.CancelledError):
            await stream
        assert watching.watching() == 0

    asyncio.run(closed_as_told())
