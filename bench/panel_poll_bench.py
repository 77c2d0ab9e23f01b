"""What do open workspaces cost the web process while they wait for Pic-Time changes?

    python bench/panel_poll_bench.py [--workspaces 50] [--interval 1] [--seconds 30] [--requests 3000]
        [--changes 10]   (with DATABASE_URL set to an existing database)

Seeds a company with a project holding 10 linked galleries (as bench/workspace_bench.py does) and
starts ONE web process as the Dockerfile runs each (gunicorn with crm/gunicorn_conf.py, 4 threads).

As the product runs: each open workspace holds an event stream from the live process
(`python -m crm.live`) and asks the web process only when told of a change. The bench opens
`--workspaces` streams and measures, over `--seconds` with nothing changing, the CPU share of one
core of the web process (the goal: < 5 %) and of the live process; then `--changes` changes, and
how long after each every stream is told.

Beside it, in the same run, the poll it replaced, which a workspace still uses without the live
process or while it is away: the poll with the version the panel shows (nothing changed: 204) from
a few client threads as fast as it answers (requests a second, CPU a poll), then paced as open tabs
send it (`--workspaces` clients, one poll every `--interval` s each: the web process's CPU share of
one core), beside the floor measured the same way: the same server answering the same polls from a
bare WSGI app (bench/bare_wsgi.py). The changed case (200 with the panel and Photo sales, what a tab
asks once per change) is measured too. Loopback only; bounded loops.
"""

import http.client
import os
import queue
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import free_port  # noqa: E402
from bench.workspace_bench import (  # noqa: E402
    bench_parser,
    measure,
    parse_args,
    seeded_studio,
    start_gunicorn,
    start_server,
    summary,
)


def start_web(env, port, log_path, app="crm.wsgi:application"):
    """One web process as the Dockerfile runs each: gunicorn with crm/gunicorn_conf.py (its access
    log), 4 threads; the CRM, or `app`."""
    options = ("-c", "python:crm.gunicorn_conf", "--workers", "1", "--threads", "4")
    return start_gunicorn(env, port, log_path, *options, app=app)


def cpu_seconds(pid):
    """CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def hammer(url, cookies, total, threads, status):
    """`total` GETs from `threads` threads, each answered `status`; returns (requests/s, p50 ms, p99 ms)."""
    return summary(*measure(url, cookies, total, threads, status=status))


def paced(url, cookies, workspaces, interval, seconds, worker):
    """`workspaces` keep-alive clients each polling every `interval` s, spread over the interval, as
    open tabs do, for `seconds`: the worker's CPU over that time, as a share of one core. At this
    rate every poll pays the wake-ups a saturated server shares between requests."""
    stop = time.monotonic() + seconds + 2 * interval

    def tab(n):
        session = requests.Session()
        session.cookies.update(cookies)
        due = time.monotonic() + n * interval / workspaces
        while due < stop:
            time.sleep(max(0.0, due - time.monotonic()))
            if session.get(url, timeout=10).status_code != 204:
                raise RuntimeError(f"{url} did not answer 204")
            due += interval
        session.close()

    with ThreadPoolExecutor(workspaces) as pool:
        tabs = [pool.submit(tab, n) for n in range(workspaces)]
        time.sleep(interval)  # every tab polling
        cpu, started = cpu_seconds(worker), time.monotonic()
        time.sleep(seconds)
        share = (cpu_seconds(worker) - cpu) / (time.monotonic() - started)
        for done in tabs:
            done.result()
    return share


def start_live(env, port, log_path):
    """The live process as `make run` and docker-compose start it (python -m crm.live)."""
    return start_server(
        "the live process",
        [sys.executable, "-m", "crm.live"],
        {**env, "LIVE_BIND": f"127.0.0.1:{port}"},
        log_path,
        answers=lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(),
    )


def open_stream(url):
    """A tab's EventSource: its connection, and a queue of the times it was told of a change."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{url} answered {response.status}")
    told = queue.Queue()

    def read():
        try:
            while chunk := response.read1():
                if b"event: changed" in chunk:
                    told.put(time.monotonic())
        except Exception:  # noqa: BLE001 - the bench closed it mid-read
            pass

    threading.Thread(target=read, daemon=True).start()
    return connection, told


def streamed(url, workspaces, seconds, changes, web, live, touch):
    """`workspaces` open streams for `seconds` with nothing changing: the CPU share of one core of
    the web worker and of the live process. Then `changes` changes, 2–2.5 s apart: seconds from each
    change until every stream was told (each tab would then ask the web process once). Also the live
    process's threads and memory before the streams and with them."""
    before = process_size(live)
    streams = [open_stream(url) for _ in range(workspaces)]
    try:
        time.sleep(1)
        size = (before, process_size(live))
        web_cpu, live_cpu, started = cpu_seconds(web), cpu_seconds(live), time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        shares = ((cpu_seconds(web) - web_cpu) / elapsed, (cpu_seconds(live) - live_cpu) / elapsed)
        waits = []
        for _ in range(changes):
            changed = time.monotonic()
            touch()
            waits += [told.get(timeout=10) - changed for _, told in streams]
            time.sleep(random.uniform(2, 2.5))  # changes land anywhere between the watch's ticks
    finally:
        for connection, _ in streams:
            connection.sock.shutdown(socket.SHUT_RDWR)
            connection.close()
    return shares, waits, size


def process_size(pid):
    """(threads, resident MB) of a process, from /proc."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(status["Threads"]), int(status["VmRSS"].split()[0]) / 1024


def main():
    parser = bench_parser(__doc__, 3000, "polls to time")
    parser.add_argument("--workspaces", type=int, default=50, help="open workspaces (default 50)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    parser.add_argument("--seconds", type=float, default=30, help="paced run's length (default 30)")
    parser.add_argument("--changes", type=int, default=10, help="changes told to the streams (default 10)")
    parser.add_argument(
        "--conn-max-age", default="60", help="CONN_MAX_AGE of the web process (default 60, as docker-compose)"
    )
    args, total = parse_args(parser, 50_000)

    with seeded_studio("poll-bench-", CONN_MAX_AGE=args.conn_max_age) as (env, var_dir, cookies, path, db):
        from crm.projects.models import Project
        from pictime.models.links import touch_projects
        from pictime.services.live import project_version, ticket

        project = Project.objects.get(pk=int(path.strip("/").split("/")[-1]))
        version = project_version(project.company, project.pk)
        poll = f"?v={version}&t={ticket(project)}"
        port = free_port()
        server = start_web(env, port, Path(var_dir, "gunicorn.log"))
        try:
            live = f"http://127.0.0.1:{port}/integrations/pictime/projects/{project.pk}/galleries/live/"
            hammer(live + poll, cookies, args.threads * 20, args.threads, 204)  # warm-up
            worker = worker_pid(server.pid)
            cpu = cpu_seconds(worker)
            unchanged = hammer(live + poll, cookies, total, args.threads, 204)
            cpu_per_poll = (cpu_seconds(worker) - cpu) / total
            changed = hammer(f"{live}?v=old", cookies, max(args.threads, total // 10), args.threads, 200)
            share = paced(live + poll, cookies, args.workspaces, args.interval, args.seconds, worker)
            live_port = free_port()
            live_process = start_live(env, live_port, Path(var_dir, "live.log"))
            try:
                events = f"http://127.0.0.1:{live_port}/integrations/pictime/projects/{project.pk}/galleries/events/"
                (web_share, live_share), waits, size = streamed(
                    events + poll,
                    args.workspaces,
                    args.seconds,
                    args.changes,
                    worker,
                    live_process.pid,
                    lambda: touch_projects([project.pk]),
                )
            finally:
                live_process.terminate()
                live_process.wait(timeout=10)
        finally:
            server.terminate()
            server.wait(timeout=10)
        # The floor, in the same run: the same server and polls, answered by a bare WSGI app.
        server = start_web(env, port, Path(var_dir, "bare.log"), app="bench.bare_wsgi:application")
        try:
            bare = worker_pid(server.pid)
            floor = paced(live + poll, cookies, args.workspaces, args.interval, args.seconds, bare)
        finally:
            server.terminate()
            server.wait(timeout=10)

    load = args.workspaces / args.interval
    # Capacity two ways: polls answered per second on this (possibly shared) machine, and what the
    # worker's own CPU time per poll allows one core (not slowed by other processes on the machine).
    by_throughput = load / unchanged[0]
    by_cpu = load * cpu_per_poll
    print(f"Workspace poll, project with 10 linked galleries ({db}, one gunicorn worker with 4 threads,")
    print(f"CONN_MAX_AGE={args.conn_max_age}, {args.threads} client threads, loopback)")
    print(f"{'answer':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'204 nothing changed':<22} {unchanged[0]:>8.1f} {unchanged[1]:>8.2f} {unchanged[2]:>8.2f}")
    print(f"{'200 panel and sales':<22} {changed[0]:>8.1f} {changed[1]:>8.2f} {changed[2]:>8.2f}")
    print(
        f"web process CPU per 204 poll: {cpu_per_poll * 1000:.2f} ms ({1 / cpu_per_poll:.0f} polls/s a core)"
    )
    print(f"{args.workspaces} open workspaces polling every {args.interval:g} s = {load:.0f} polls/s =")
    print(f"  {by_throughput * 100:.1f} % of the requests/s measured (load average {os.getloadavg()[0]:.1f})")
    print(f"  {by_cpu * 100:.1f} % of one web process's CPU at the CPU a poll costs when saturated")
    waits.sort()
    goal = "met" if web_share < 0.05 else "NOT met"
    print(
        f"streamed (as the product runs): {args.workspaces} open workspaces for {args.seconds:g} s, "
        f"nothing changing: web process {web_share * 100:.2f} % of one core (goal < 5 %: {goal}), "
        f"live process {live_share * 100:.2f} %"
    )
    (threads_before, rss_before), (threads, rss) = size
    print(
        f"  live process: {threads_before} → {threads} threads, {rss_before:.0f} → {rss:.0f} MB resident "
        f"with the {args.workspaces} streams (an idle thread each: Django keeps one per ASGI request)"
    )
    print(
        f"  change → every stream told: median {waits[len(waits) // 2]:.2f} s, max {waits[-1]:.2f} s "
        f"({args.changes} changes x {args.workspaces} streams); each tab then asks the web process once"
    )
    print(f"  (web + live process) / the same tabs polling (below): {(web_share + live_share) / share:.3f}")
    print(
        f"polled instead (no live process, or while it is away): {args.workspaces} tabs polling every "
        f"{args.interval:g} s for {args.seconds:g} s took {share * 100:.1f} % of one core in the web process "
        f"({share / load * 1000:.2f} ms a poll)"
    )
    print(
        f"  the server alone (bench/bare_wsgi.py, the same polls): {floor * 100:.1f} % "
        f"({floor / load * 1000:.2f} ms a poll); the CRM's poll / that floor: {share / floor:.2f}"
    )


if __name__ == "__main__":
    main()
