"""Chaos run: first payments through the CRM as production runs it, while its processes and servers are
killed and restarted and Pic-Time fails; then checks that nothing was lost and nothing doubled.

    .venv/bin/python bench/chaos.py                                   # 1,000 payments, 20 studios, 20/s
    .venv/bin/python bench/chaos.py --payments 100 --companies 5 --rate 5

Starts its own PostgreSQL and Redis (scripts/services.sh with SERVICES_DIR, PG_PORT, REDIS_PORT), the
Pic-Time sandbox, the web process on gunicorn (2 workers x 4 threads, DEBUG off), a Celery worker
(concurrency 2) and Celery beat, each under scripts/supervise.py as the Procfile runs them (production
restarts them too: docker-compose's restart policy), with PICTIME_SYNC_INTERVAL_SECONDS=60.

Sets up connected studios with Auto-create on, and pays each project's first invoice by card in the
client portal over HTTP (the pay page, then its form), at --rate a second, the studios in turn.
Galleries that appear at the sandbox are now and then published with photos (webhooks, the gallery-ready
email). Meanwhile, over the payments: a worker child is killed (SIGKILL) every ~8 s; Redis is restarted
empty once; the worker's main process is killed once (SIGKILL) and started again; PostgreSQL is
restarted once (`pg_ctl -m fast`); the gunicorn master is killed once (SIGKILL) and the web started
again. The sandbox answers 10 % of API requests 500, 3 % 429 (Retry-After 1 s) and loses 5 % of its
answers after carrying them out.

Then it waits for the work to be done and prints: galleries at the sandbox (one per paid project's
external_ref), duplicates, paid projects without a linked gallery, links whose status or image count
differ from the sandbox's, webhook events not processed, links whose earlier orders still wait for a
worker (every link asks for its gallery's orders; "all done" includes them), the seconds from the last
fault to all done (goal <= 180 s), the CRM's 500s outside PostgreSQL's downtime, and RESULT: OK or
FAIL. Then where the time went: the CPU of each process (from /proc) during and after the payments,
the worker's task runs, Celery retries, what the beat's sweep sent again, and the calls to Pic-Time
with their times (from the worker's log; bench/chaos_report.py).
"""

import argparse
import contextlib
import itertools
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_report import CpuMeter, print_breakdown, worker_activity  # noqa: E402
from bench.stack import production_env  # noqa: E402

GOAL_SECONDS = 180
FAULTS = {"error_rate": 0.10, "rate_limit_rate": 0.03, "retry_after": 1, "lose_rate": 0.03, "drop_rate": 0.02}
CARD = {"name": "Chaos Client", "number": "4242424242424242", "expiry": "12/39", "cvc": "123"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# gunicorn's access line with the request's duration (seconds) last: it is logged when the answer went.
ACCESS_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)s'
ACCESS_LINE = re.compile(
    r'\[(\d+/\w+/\d+:\d+:\d+:\d+ [+-]\d+)\] "([^"]*)" (\d{3}) \S+ ([\d.]+)$', re.MULTILINE
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Stack:
    """The servers and processes of one run, started and stopped by their pids."""

    def __init__(self, args):
        self.args = args
        self.dir = Path(args.dir or tempfile.mkdtemp(prefix="crm-chaos-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)  # run as root, PostgreSQL runs as the postgres user (scripts/services.sh)
        self.services_env = {
            **os.environ,
            "SERVICES_DIR": str(self.dir / "services"),
            "PG_PORT": str(args.pg_port),
            "REDIS_PORT": str(args.redis_port),
        }
        self.pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
        self.web_url = f"http://127.0.0.1:{args.web_port}"
        self.broker = f"redis://127.0.0.1:{args.redis_port}/0"
        self.db_url = f"postgres://postgres@127.0.0.1:{args.pg_port}/crm_chaos"
        self.processes: dict[str, subprocess.Popen] = {}
        self.orphans: list[int] = []  # children of a killed main process, stopped at the end
        self.sandbox = None
        cache = f"redis://127.0.0.1:{args.redis_port}/1"
        self.env = {
            **production_env(db_url=self.db_url, broker=self.broker, cache=cache, site_url=self.web_url),
            "CELERY_WORKER_CONCURRENCY": "2",
            "PICTIME_SYNC_INTERVAL_SECONDS": "60",
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_ROOT": str(self.dir / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.dir / "mail"),
        }

    # ------------------------------------------------------------------ servers
    def services(self, command: str) -> None:
        subprocess.run(
            [str(ROOT / "scripts/services.sh"), command],
            env=self.services_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def psql(self, sql: str) -> None:
        cmd = ["psql", "-h", "127.0.0.1", "-p", str(self.args.pg_port), "-U", "postgres", "-qc", sql]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def pg_ctl(self, *args: str) -> None:
        command = [str(self.pg_bin[-1] / "pg_ctl"), "-D", str(self.dir / "services/pg"), *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        from sandbox.testing import Sandbox

        log(f"servers in {self.dir}: PostgreSQL :{self.args.pg_port}, Redis :{self.args.redis_port}")
        self.services("start")
        self.psql("DROP DATABASE IF EXISTS crm_chaos")
        self.psql("CREATE DATABASE crm_chaos")
        self.sandbox = Sandbox.start(port=self.args.sandbox_port)
        self.env["PICTIME_BASE_URL"] = self.sandbox.url
        os.environ.update(self.env)
        for command in (["migrate", "--no-input", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=self.env, check=True)
        self.sandbox.register_client(
            "bench-crm", "bench-crm-secret", [f"{self.web_url}/integrations/pictime/callback/"]
        )
        self.start_web()
        self.start_supervised(
            "worker", ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle"]
        )
        self.start_supervised("beat", ["beat", "--pidfile", str(self.dir / "beat.pid")])

    def start_process(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def start_web(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.dir / "web.pid").unlink()
        self.start_process(
            "web",
            [
                "-m",
                "gunicorn",
                "-c",
                "python:crm.gunicorn_conf",
                "crm.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.args.web_port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
                "--access-logformat",
                ACCESS_FORMAT,
            ],
        )
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.web_url}/healthz", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline or self.processes["web"].poll() is not None:
                raise RuntimeError("the CRM's web process did not start: " + self.tail("web.log"))
            time.sleep(0.2)

    def start_supervised(self, name: str, celery: list[str]) -> None:
        """A Celery process as the Procfile runs it: restarted by scripts/supervise.py when it dies."""
        self.start_process(
            name,
            [
                "scripts/supervise.py",
                "--",
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                *celery,
                "--loglevel",
                "INFO",  # as the Procfile: a line per task and per call to Pic-Time (chaos_report)
            ],
        )

    def main_pid(self, name: str) -> int | None:
        """The pid of the supervised Celery process (the supervisor's child)."""
        children = self.children_of(self.processes[name].pid)
        return children[0] if children else None

    def children(self, name: str) -> list[int]:
        """The worker's pool processes, or the web's gunicorn workers."""
        pid = self.main_pid(name) if name == "worker" else self.processes[name].pid
        return self.children_of(pid) if pid else []

    @staticmethod
    def children_of(pid: int) -> list[int]:
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(child) for child in f.read().split()]
        except FileNotFoundError:
            return []

    def roles(self) -> dict[str, list[int]]:
        """The root pids of each kind of process now, for the CPU meter (bench/chaos_report.py)."""

        def pidfile(path: Path) -> int:
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(path.read_text().split()[0])
            return 0

        services = self.dir / "services"
        return {
            "worker": [self.processes["worker"].pid] if "worker" in self.processes else [],
            "beat": [self.processes["beat"].pid] if "beat" in self.processes else [],
            "web": [self.processes["web"].pid] if "web" in self.processes else [],
            "sandbox": [self.sandbox._process.pid] if self.sandbox and self.sandbox._process else [],
            "PostgreSQL": [pidfile(services / "pg/postmaster.pid")],
            "Redis": [pidfile(services / "redis.pid")],
        }

    def tail(self, name: str, size: int = 3000) -> str:
        path = self.dir / name
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in self.orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.sandbox is not None:
            self.sandbox.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        self.services("stop")
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------- set-up
def set_up(stack: Stack, payments: int, companies: int) -> list[tuple[str, int]]:
    """Connected studios with Auto-create on, each project with a sent invoice: (portal token,
    installment id) of every payment to make, the studios in turn."""
    import django

    django.setup()
    from bench.seed import auto_create_studios, sent_invoice

    log(f"setting up {companies} studios and {payments} projects ...")
    _, projects = auto_create_studios(stack.sandbox, projects=payments, companies=companies, name="Chaos")
    return [(p.portal_token, sent_invoice(p).installments.get().pk) for p in projects]


# ---------------------------------------------------------------------- load and faults
class Payments:
    """Card payments in the client portal over HTTP: the pay page, then its form. A payment whose
    request failed (the web down, a 5xx) is tried again, as a client would; 'already paid' after a
    try whose answer was lost means it went through."""

    def __init__(self, stack: Stack, todo: list[tuple[str, int]], rate: float):
        self.stack, self.todo, self.rate = stack, todo, rate
        self.done = 0
        self.failed: list[str] = []
        self.lock = threading.Lock()
        self.finished = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i, (token, installment) in enumerate(self.todo):
                pause = started + i / self.rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                pool.submit(self.pay, token, installment)
        self.finished.set()

    def pay(self, token: str, installment: int) -> None:
        url = f"{self.stack.web_url}/portal/{token}/pay/{installment}/"
        deadline = time.monotonic() + 300
        with requests.Session() as http:
            while time.monotonic() < deadline:
                try:
                    page = http.get(url, timeout=30)
                    if page.status_code == 400 and "already paid" in page.text:
                        break  # an earlier try went through, its answer was lost
                    csrf = CSRF_INPUT.search(page.text) if page.status_code == 200 else None
                    if csrf:
                        answer = http.post(
                            url,
                            {**CARD, "csrfmiddlewaretoken": csrf.group(1)},
                            headers={"Referer": url},
                            timeout=30,
                            allow_redirects=False,
                        )
                        if answer.status_code == 302:
                            break
                        if answer.status_code == 400 and "already paid" in answer.text:
                            break
                except requests.RequestException:
                    pass
                time.sleep(1)
            else:
                with self.lock:
                    self.failed.append(url)
                return
        with self.lock:
            self.done += 1


class Faults:
    """The faults: the one-off ones spread over the payments' planned duration, a worker child killed
    every 8 s until the last payment is recorded; the times they happened."""

    def __init__(self, stack: Stack, duration: float, payments_done: threading.Event):
        self.stack, self.duration, self.payments_done = stack, duration, payments_done
        self.events: list[tuple[float, str]] = []
        self.pg_down: tuple[float, float] | None = None
        self.stopped = threading.Event()

    def note(self, what: str) -> None:
        self.events.append((time.time(), what))
        log(f"fault: {what}")

    @property
    def last(self) -> float:
        return max(at for at, _ in self.events)

    def run(self) -> None:
        d = self.duration
        once = [(0.15 * d, self.restart_redis), (0.35 * d, self.kill_worker_main)]
        once += [(0.55 * d, self.restart_postgres), (0.75 * d, self.kill_web)]
        started = time.monotonic()
        children = threading.Thread(target=self.kill_worker_children, args=(started,), daemon=True)
        children.start()
        for at, fault in once:
            if self.stopped.wait(max(0.0, started + at - time.monotonic())):
                return
            self.attempt(fault)
        children.join()

    def kill_worker_children(self, started: float) -> None:
        for at in itertools.count(4.0, 8.0):
            if self.payments_done.wait(max(0.0, started + at - time.monotonic())):
                return
            self.attempt(self.kill_worker_child)

    def attempt(self, fault) -> None:
        try:
            fault()
        except Exception as error:  # noqa: BLE001 (reported, the run goes on)
            self.note(f"{fault.__name__} failed: {error!r}")

    def kill_worker_child(self) -> None:
        children = self.stack.children("worker")
        if children:
            victim = random.choice(children)
            os.kill(victim, signal.SIGKILL)
            self.note(f"worker child {victim} killed")

    def kill_worker_main(self) -> None:
        main = self.stack.main_pid("worker")
        self.stack.orphans.extend(self.stack.children("worker"))
        os.kill(main, signal.SIGKILL)
        self.note(f"worker main process {main} killed")
        deadline = time.monotonic() + 30
        while self.stack.main_pid("worker") in (None, main) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.note("worker started again (by its supervisor)")

    def restart_redis(self) -> None:
        port = str(self.stack.args.redis_port)
        subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True)
        self.note("Redis stopped (its queued messages are gone)")
        time.sleep(2)
        self.stack.services("start")
        self.note("Redis started again, empty")

    def restart_postgres(self) -> None:
        started = time.time()
        self.note("PostgreSQL restarting (pg_ctl -m fast)")
        self.stack.pg_ctl("-m", "fast", "-w", "restart")
        self.pg_down = (started, time.time())
        self.note("PostgreSQL up again")

    def kill_web(self) -> None:
        web = self.stack.processes["web"]
        self.stack.orphans.extend(self.stack.children("web"))
        os.kill(web.pid, signal.SIGKILL)
        web.wait()
        self.note(f"gunicorn master {web.pid} killed")
        time.sleep(1)
        self.stack.start_web()
        self.note("web started again")


class Studio:
    """Galleries that appear at the sandbox are now and then given photos and published, as a
    photographer would: webhooks to apply, the gallery-ready email and Delivered."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.seen: set[str] = set()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            for gallery_id in sandbox_galleries(self.stack):
                if gallery_id in self.seen:
                    continue
                self.seen.add(gallery_id)
                if random.random() < 0.1:
                    with contextlib.suppress(Exception):
                        self.stack.sandbox.add_photos(gallery_id, random.randint(5, 40))
                        self.stack.sandbox.publish(gallery_id)


def sandbox_db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{stack.sandbox.db_path}?mode=ro", uri=True, timeout=10)


def sandbox_galleries(stack: Stack) -> dict[str, tuple]:
    """The sandbox's galleries: id → (external_ref, status, image_count)."""
    with contextlib.closing(sandbox_db(stack)) as db:
        rows = db.execute("SELECT id, external_ref, status, image_count FROM sandbox_core_gallery").fetchall()
    return {row[0]: row[1:] for row in rows}


# ---------------------------------------------------------------------- the checks
def state(stack: Stack) -> dict:
    from django.db import connections

    from crm.projects.models import Project
    from pictime.models import AutoCreateJob, GalleryLink, WebhookEvent
    from pictime.services.galleries import external_ref

    connections.close_all()  # a connection from before PostgreSQL's restart is gone
    at_sandbox = sandbox_galleries(stack)
    refs = Counter(ref for ref, _, _ in at_sandbox.values())
    paid = list(Project.objects.filter(first_paid_at__isnull=False).values_list("pk", flat=True))
    links = {
        project: (gallery_id, status, count)
        for project, gallery_id, status, count in GalleryLink.objects.filter(
            origin=GalleryLink.Origin.AUTO_CREATED
        ).values_list("project_id", "gallery_id", "status", "image_count")
    }
    differ = sum(
        1
        for gallery_id, status, count in links.values()
        if gallery_id not in at_sandbox or at_sandbox[gallery_id][1:] != (status, count)
    )
    return {
        "galleries": len(at_sandbox),
        "paid": len(paid),
        "paid_with_one_gallery": sum(1 for p in paid if refs.get(external_ref(p)) == 1),
        "duplicates": sum(n - 1 for n in refs.values() if n > 1),
        "without_link": sum(1 for p in paid if p not in links),
        "links_differ": differ,
        "events_queued": WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED).count(),
        # A link's earlier orders whose first fetch failed wait for a worker (GalleryLink.orders_due_at).
        "orders_due": GalleryLink.objects.filter(orders_due_at__isnull=False).count(),
        "jobs": dict(Counter(AutoCreateJob.objects.values_list("status", flat=True))),
        "emails": dict(
            Counter(
                GalleryLink.objects.filter(status=GalleryLink.Status.ONLINE).values_list(
                    "ready_email_status", flat=True
                )
            )
        ),
    }


def all_done(s: dict, payments: int) -> bool:
    return (
        s["galleries"] == payments
        and s["paid"] == payments
        and s["paid_with_one_gallery"] == payments
        and s["duplicates"] == 0
        and s["without_link"] == 0
        and s["links_differ"] == 0
        and s["events_queued"] == 0
        and s["orders_due"] == 0
    )


def server_errors(stack: Stack, pg_down: tuple[float, float] | None) -> tuple[int, list[str]]:
    """The CRM's 500s in the web's access log: how many came from requests in flight while
    PostgreSQL was down (begun before it stopped and answered after, or in between), and the lines of
    the others."""
    during, outside = 0, []
    for match in ACCESS_LINE.finditer(stack.tail("web.log", size=10**9)):
        if match.group(3) != "500":
            continue
        answered = datetime.strptime(match.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        began = answered - float(match.group(4))
        # The log's time has whole seconds: a second of slack on each side.
        if pg_down and began <= pg_down[1] + 1 and answered + 1 >= pg_down[0]:
            during += 1
        else:
            outside.append(match.group(0))
    return during, outside


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20, help="payments a second")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait after the last fault")
    parser.add_argument("--pg-port", type=int, default=11010)
    parser.add_argument("--redis-port", type=int, default=11011)
    parser.add_argument("--web-port", type=int, default=11012)
    parser.add_argument("--sandbox-port", type=int, default=11013)
    parser.add_argument("--dir", help="where its servers and logs go (a new temporary folder if not given)")
    parser.add_argument("--keep", action="store_true", help="keep that folder (logs) at the end")
    args = parser.parse_args(argv)

    log(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    stack = Stack(args)
    try:
        stack.start()
        todo = set_up(stack, args.payments, args.companies)
        return run(stack, args, todo)
    finally:
        stack.stop()


def run(stack: Stack, args, todo) -> int:
    stack.sandbox.set_faults(**FAULTS)
    payments = Payments(stack, todo, args.rate)
    faults = Faults(stack, duration=len(todo) / args.rate, payments_done=payments.finished)
    studio = Studio(stack)
    meter = CpuMeter(stack.roles, alone={"bench (payments, checks)": os.getpid()})
    meter.mark("start")
    threads = [threading.Thread(target=t.run, daemon=True) for t in (payments, faults, studio)]
    log(f"paying {len(todo)} first payments at {args.rate:g}/s, sandbox faults {FAULTS} ...")
    started = time.time()
    for thread in threads:
        thread.start()
    threads[0].join()
    threads[1].join()
    paid_in = time.time() - started
    studio.stopped.set()
    threads[2].join()
    log(f"payments made in {paid_in:.1f} s ({payments.done} ok, {len(payments.failed)} given up)")
    paid_at = time.time()
    meter.mark("paid")

    last_fault = faults.last
    deadline = last_fault + args.timeout
    done_at = None
    s = state(stack)
    shown_at = 0.0
    while time.time() < deadline:
        s = state(stack)
        if all_done(s, args.payments):
            done_at = time.time()
            break
        if time.time() - shown_at > 15:
            shown_at = time.time()
            log(f"waiting: {s}")
        time.sleep(2)
    meter.mark("done")
    meter.stop()
    stack.sandbox.set_faults(error_rate=0, rate_limit_rate=0, lose_rate=0, drop_rate=0)
    during, outside = server_errors(stack, faults.pg_down)
    recovery = (done_at - last_fault) if done_at else None
    ok = done_at is not None and recovery <= GOAL_SECONDS and not outside and not payments.failed
    if not ok:
        stack.args.keep = True  # its logs, to see why

    print()
    print(f"payments:                          {args.payments}, {args.companies} studios, {args.rate:g}/s")
    print(f"faults:                            {len(faults.events)} events; {faults_summary(faults.events)}")
    print(f"galleries at the sandbox:          {s['galleries']} (expected {args.payments})")
    print(f"paid projects with one gallery:    {s['paid_with_one_gallery']} of {s['paid']}")
    print(f"duplicates:                        {s['duplicates']}")
    print(f"paid projects without a link:      {s['without_link']}")
    print(f"links differing from the sandbox:  {s['links_differ']}")
    print(f"webhook events not processed:      {s['events_queued']}")
    print(f"links whose orders wait a worker:  {s['orders_due']}")
    print(f"auto-create jobs by status:        {s['jobs']}")
    print(f"online galleries' emails:          {s['emails']}")
    print(f"sandbox:                           {stack.sandbox.stats()}")
    shown = f"{recovery:.1f} s" if recovery is not None else f"not done within {args.timeout:g} s"
    print(f"last fault to all done:            {shown} (goal <= {GOAL_SECONDS} s)")
    if done_at:
        print(f"last payment to all done:          {done_at - paid_at:.1f} s")
    print(f"payments recorded in:              {paid_in:.1f} s ({len(todo) / paid_in:.1f}/s)")
    print(
        f"CRM 500s:                          {len(outside)} outside PostgreSQL's downtime, {during} during it"
    )
    for line in outside:
        print(f"  {line}")
    print(f"load average at the end:           {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ended = done_at or time.time()
    print_breakdown(
        {"payments": meter.between("start", "paid"), "after them": meter.between("paid", "done")},
        worker_activity(stack.tail("worker.log", size=10**9)),
        args.payments,
        {"payments": paid_in, "after them": ended - paid_at},
    )
    if not ok:
        print(f"logs kept in {stack.dir}")
    print("RESULT:", "OK" if ok else "FAIL")
    return 0 if ok else 1


def faults_summary(events) -> str:
    kinds = Counter(re.sub(r"\d+ ", "", what) for _, what in events)
    return ", ".join(f"{what} x{n}" if n > 1 else what for what, n in kinds.items())


if __name__ == "__main__":
    sys.exit(main())
