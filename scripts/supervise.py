#!/usr/bin/env python3
"""Keep one process of `make run` alive: when it dies, say so loudly and start it again.

    python scripts/supervise.py [--retries 5] [--window 60] [--backoff 1] -- celery -A crm worker ...

honcho stops every process as soon as one exits, so a worker that crashed on one bad message used to
take the web app, beat and the sandbox down with it. Under this wrapper a crash is logged (exit code,
restart count) and the command restarted after a growing pause; only --retries crashes within
--window seconds make it give up, and then honcho stops everything with that reason on screen.
SIGTERM/SIGINT (honcho's stop, Ctrl-C) end supervision: the command is stopped, never restarted.
"""

import argparse
import signal
import subprocess
import sys
import time
from collections import deque


def say(message):
    print(f"supervise: {message}", file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--retries", type=int, default=5, help="crashes within --window before giving up")
    parser.add_argument("--window", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--backoff", type=float, default=1.0, help="first pause before a restart, doubled up to 30 s"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    name = " ".join(command[:4])

    stopping = False
    child = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        # honcho signals the whole process group; a direct `kill <pid>` of this wrapper reaches only us.
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    crashes = deque()
    while not stopping:
        child = subprocess.Popen(command)  # noqa: S603 (the Procfile's own command line)
        returncode = child.wait()
        if stopping:
            return returncode if returncode >= 0 else 128 - returncode
        now = time.monotonic()
        crashes.append(now)
        while crashes and now - crashes[0] > args.window:
            crashes.popleft()
        if len(crashes) > args.retries:
            say(
                f"`{name}` exited with code {returncode}, {len(crashes)} times in {args.window:g} s: "
                "giving up, so every other process stops too"
            )
            return returncode if returncode > 0 else 1
        pause = min(30.0, args.backoff * 2 ** (len(crashes) - 1))
        say(
            f"`{name}` exited with code {returncode} (crash {len(crashes)} of {args.retries} allowed "
            f"in {args.window:g} s): restarting in {pause:g} s; the other processes keep running"
        )
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
