"""`make run` keeps going when one process dies: scripts/supervise.py restarts the worker and beat,
loudly, under honcho; only a crash loop gives up (and then says why)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = str(REPO_ROOT / "scripts" / "supervise.py")

# Crashes (exit 3) on its first `crashes` runs, then stays up; counts its runs in a file.
FLAKY = """
import pathlib, sys, time
runs = pathlib.Path(sys.argv[1]); n = int(runs.read_text() or 0) + 1 if runs.exists() else 1
runs.write_text(str(n))
if n <= int(sys.argv[2]):
    sys.exit(3)
time.sleep(120)
"""


def flaky(tmp_path, crashes):
    script = tmp_path / "flaky.py"
    script.write_text(FLAKY)
    return [sys.executable, str(script), str(tmp_path / "runs"), str(crashes)]


def runs(tmp_path):
    path = tmp_path / "runs"
    return int(path.read_text() or 0) if path.exists() else 0


def wait_for(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_crashed_process_is_restarted_loudly_and_a_stop_ends_it(tmp_path):
    wrapper = subprocess.Popen(
        [sys.executable, SUPERVISE, "--backoff", "0.05", "--", *flaky(tmp_path, 2)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: runs(tmp_path) == 3)
        time.sleep(0.3)
        assert wrapper.poll() is None
        wrapper.send_signal(signal.SIGTERM)
        _, err = wrapper.communicate(timeout=10)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    assert err.count("exited with code 3") == 2
    assert "restarting in" in err and "the other processes keep running" in err
    time.sleep(0.3)
    assert runs(tmp_path) == 3  # stopped, not restarted


def test_a_crash_loop_gives_up_with_the_reason(tmp_path):
    wrapper = subprocess.run(
        [sys.executable, SUPERVISE, "--retries", "2", "--backoff", "0.05", "--", *flaky(tmp_path, 99)],
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
    )
    assert wrapper.returncode == 3
    assert runs(tmp_path) == 3
    assert "3 times in 60 s: giving up, so every other process stops too" in wrapper.stderr


def test_under_honcho_the_other_processes_keep_running_while_one_is_restarted(tmp_path):
    command = " ".join([sys.executable, SUPERVISE, "--backoff", "0.1", "--", *flaky(tmp_path, 2)])
    (tmp_path / "Procfile").write_text(
        f"crashy: {command}\nsteady: {sys.executable} -c 'import time; time.sleep(120)'\n"
    )
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(tmp_path / "Procfile"), "-d", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for(lambda: runs(tmp_path) == 3)
        time.sleep(0.5)
        assert honcho.poll() is None, "honcho stopped everything"
        honcho.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = honcho.communicate(timeout=20)
    finally:
        if honcho.poll() is None:
            honcho.kill()
    assert out.count("exited with code 3") == 2
    stops = [line for line in out.splitlines() if "stopped" in line]
    assert all("SIGINT" in out[: out.index(line)] for line in stops), out  # nothing stopped before Ctrl-C
    assert runs(tmp_path) == 3
