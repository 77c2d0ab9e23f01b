"""What do open workspaces cost the web process while they poll for Pic-Time changes?

    python bench/panel_poll_bench.py [--workspaces 50] [--interval 1] [--seconds 30] [--requests 3000]

Seeds a company with a project holding 10 linked galleries (as bench/workspace_bench.py does),
starts ONE web process as the Dockerfile runs each (gunicorn with crm/gunicorn_conf.py, 4
threads), and sends the workspace's poll with the version the panel shows (the common case:
nothing changed, 204) from a few client threads, as fast as it answers: the process's capacity for
polls, as requests a second on this machine and as the worker's CPU time per poll. 50 open
workspaces polling every `interval` seconds cost 50 / interval polls a second: the share of that
capacity is printed (at that CPU a poll). Then the same polls paced as open tabs send them
(`--workspaces` clients, one poll every `--interval` s each): the web process's CPU share of one
core, the figure the goal (< 5 %) is about, beside the floor measured in the same run: the
same server answering the same polls from a bare WSGI app (bench/bare_wsgi.py). The changed case
(200 with the panel and Photo sales) is measured too: it happens once per change, not once per
poll. Loopback only; bounded loops.
"""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import free_port  # noqa: E402
from bench.workspace_bench import (  # noqa: E402
    bench_parser,
    measure,
    parse_args,
    seeded_studio,
    start_gunicorn,
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


def main():
    parser = bench_parser(__doc__, 3000, "polls to time")
    parser.add_argument("--workspaces", type=int, default=50, help="open workspaces (default 50)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    parser.add_argument("--seconds", type=float, default=30, help="paced run's length (default 30)")
    parser.add_argument(
        "--conn-max-age", default="60", help="CONN_MAX_AGE of the web process (default 60, as docker-compose)"
    )
    args, total = parse_args(parser, 50_000)

    with seeded_studio("poll-bench-", CONN_MAX_AGE=args.conn_max_age) as (env, var_dir, cookies, path, db):
        from crm.projects.models import Project
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
    print(
        f"paced: {args.workspaces} tabs polling every {args.interval:g} s for {args.seconds:g} s took "
        f"{share * 100:.1f} % of one core in the web process ({share / load * 1000:.2f} ms a poll) "
        f"(goal < 5 %: {'met' if share < 0.05 else 'NOT met'})"
    )
    print(
        f"  the server alone (bench/bare_wsgi.py, the same polls): {floor * 100:.1f} % "
        f"({floor / load * 1000:.2f} ms a poll); the CRM's poll / that floor: {share / floor:.2f}"
    )


if __name__ == "__main__":
    main()
