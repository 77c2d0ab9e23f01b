"""What do open workspaces cost the web process while they poll for Pic-Time changes?

    python bench/panel_poll_bench.py [--workspaces 50] [--interval 1] [--requests 3000] [--threads 4]

Seeds a company with a project holding 10 linked galleries (as bench/workspace_bench.py does),
starts ONE web process as the Dockerfile runs each (gunicorn, 4 threads, access log), and sends
the workspace's poll with the version the panel shows (the common case: nothing changed, 204)
from a few client threads, as fast as it answers: the process's capacity for polls, as requests
a second on this machine and as the worker's CPU time per poll. 50 open workspaces polling every
`interval` seconds cost 50 / interval polls a second: the share of that capacity is printed
(goal < 5 %). The changed case (200 with the panel and Photo sales) is measured too: it happens
once per change, not once per poll. Loopback only; bounded loops.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workspace_bench import bench_env, free_port, seed  # noqa: E402


def start_web(env, port, log_path):
    """One web process as the Dockerfile runs each: gunicorn, 4 threads, access log on."""
    import subprocess

    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "4", "--access-logfile", "-", "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(Path(log_path).read_text(errors="replace"))
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


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
    """`total` GETs from `threads` threads; returns (requests/s, p50 ms, p99 ms)."""
    per_thread = max(1, total // threads)

    def run(_):
        session = requests.Session()
        session.cookies.update(cookies)
        times = []
        for _ in range(per_thread):
            start = time.perf_counter()
            response = session.get(url, timeout=30, allow_redirects=False)
            times.append(time.perf_counter() - start)
            if response.status_code != status:
                raise RuntimeError(f"{url} answered {response.status_code}, not {status}")
        session.close()
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        times = sorted(t for chunk in pool.map(run, range(threads)) for t in chunk)
    elapsed = time.perf_counter() - started
    return len(times) / elapsed, statistics.median(times) * 1000, times[int(len(times) * 0.99) - 1] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=50, help="open workspaces (default 50)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    parser.add_argument("--requests", type=int, default=3000, help="polls to time (default 3000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--conn-max-age", default="60", help="CONN_MAX_AGE of the web process (default 60, as docker-compose)"
    )
    args = parser.parse_args()
    total = max(args.threads, min(args.requests, 50_000))

    with tempfile.TemporaryDirectory(prefix="poll-bench-") as var_dir:
        env = {**bench_env(var_dir), "CONN_MAX_AGE": args.conn_max_age}
        os.environ.update(env)
        session_key, cookie_name, path = seed()
        from crm.projects.models import Project
        from pictime.services.live import project_version, ticket

        project = Project.objects.get(pk=int(path.strip("/").split("/")[-1]))
        version = project_version(project.company, project.pk)
        poll = f"?v={version}&t={ticket(project)}"
        db = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
        port = free_port()
        server = start_web(env, port, Path(var_dir, "gunicorn.log"))
        try:
            live = f"http://127.0.0.1:{port}/integrations/pictime/projects/{project.pk}/galleries/live/"
            cookies = {cookie_name: session_key}
            hammer(live + poll, cookies, args.threads * 20, args.threads, 204)  # warm-up
            worker = worker_pid(server.pid)
            cpu = cpu_seconds(worker)
            unchanged = hammer(live + poll, cookies, total, args.threads, 204)
            cpu_per_poll = (cpu_seconds(worker) - cpu) / total
            changed = hammer(f"{live}?v=old", cookies, max(args.threads, total // 10), args.threads, 200)
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
    print(
        f"  {by_cpu * 100:.1f} % of one web process's CPU "
        f"(goal < 5 %: {'met' if by_cpu < 0.05 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
