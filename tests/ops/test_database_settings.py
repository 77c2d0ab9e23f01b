"""The CRM's PostgreSQL connections give up on a host that stops answering within
DATABASE_CONNECT_TIMEOUT seconds (a refused connection fails at once anyway)."""

import importlib
import socket
import threading
import time

import psycopg2
import pytest
from django.db.backends.postgresql.base import DatabaseWrapper


@pytest.fixture
def silent_host():
    """A "PostgreSQL" that takes the connection and never answers, as a host gone away behind a
    firewall or a stalled failover does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_database_that_does_not_answer_fails_the_connect_after_the_timeout(monkeypatch, silent_host):
    import crm.settings

    monkeypatch.setenv("DATABASE_URL", f"postgres://studio@127.0.0.1:{silent_host}/studio_crm")
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "1")
    try:
        database = importlib.reload(crm.settings).DATABASES["default"]
    finally:
        monkeypatch.undo()
        importlib.reload(crm.settings)
    assert database["OPTIONS"]["connect_timeout"] == 1

    wrapper = DatabaseWrapper({**database, "TIME_ZONE": None}, alias="silent")
    failed = []

    def connect():
        started = time.monotonic()
        try:
            wrapper.get_new_connection(wrapper.get_connection_params())
        except psycopg2.OperationalError as error:
            failed.append((time.monotonic() - started, str(error)))

    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(timeout=10)
    assert failed, "the connect still waits for the silent host after 10 s"
    (seconds, error) = failed[0]
    assert "timeout expired" in error
    assert 0.9 < seconds < 5
