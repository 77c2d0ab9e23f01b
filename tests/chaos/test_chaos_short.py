"""The chaos run's short version (bench/chaos.py): 100 first payments with the same faults (worker
children killed, the worker's main process killed, Redis restarted empty, PostgreSQL restarted, the
web killed; Pic-Time failing, throttling and losing answers). Exactly one gallery per paid project,
every link as at Pic-Time, every webhook event processed, within 3 minutes of the last fault.

Runs on its own PostgreSQL, Redis, sandbox and processes (free ports, a folder of its own), so it
neither uses nor disturbs the broker and databases of the other tests."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.chaos


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_a_short_chaos_run_loses_no_gallery_and_doubles_none():
    pg, redis, web, sandbox = free_ports(4)
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    command = [
        sys.executable,
        "bench/chaos.py",
        "--payments", "100", "--companies", "5", "--rate", "5", "--timeout", "240",
        "--pg-port", str(pg), "--redis-port", str(redis),
        "--web-port", str(web), "--sandbox-port", str(sandbox),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)
    out = run.stdout
    report = f"{out[-6000:]}\n{run.stderr[-3000:]}"

    def figure(label: str) -> str:
        found = re.search(rf"^{label}:\s+(.*)$", out, re.MULTILINE)
        assert found, f"no '{label}' line:\n{report}"
        return found.group(1)

    assert figure("galleries at the sandbox").startswith("100 "), report
    assert figure("paid projects with one gallery") == "100 of 100", report
    assert figure("duplicates") == "0", report
    assert figure("paid projects without a link") == "0", report
    assert figure("links differing from the sandbox") == "0", report
    assert figure("webhook events not processed") == "0", report
    assert figure("links whose orders wait a worker") == "0", report
    assert figure("CRM 500s").startswith("0 outside"), report
    done = re.match(r"([\d.]+) s", figure("last fault to all done"))
    assert done and float(done.group(1)) <= 180, report
    assert "RESULT: OK" in out and run.returncode == 0, report
