"""One Pic-Time account, everything at once: the periodic sync of 10,000 linked galleries runs while
200 first payments auto-create their galleries through 4 Celery worker processes, all sharing the
account's rate limit (the sandbox's: 10 requests/s, burst 20).

    .venv/bin/python bench/ratelimit_bench.py                        # 10,000 links, 200 payments
    .venv/bin/python bench/ratelimit_bench.py --galleries 2000 --payments 50

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on 127.0.0.1:6379 (the broker and
the shared limiter). Uses its own database (dropped and made again) and Redis db; everything runs
on loopback. Prints the requests the sandbox received, how many it refused (429), the wall time from
the moment the beat's sync and the paid projects' jobs reach the worker until the last gallery is
linked and the sync has finished, and the rate-limit bound for those requests
((requests - burst) / rate) with the ratio wall / bound.
Goal (issue #13): 0 refused and a ratio of at most 1.2.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            pids += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=int, default=10_000, help="linked galleries the sync checks")
    parser.add_argument("--payments", type=int, default=200, help="first payments that auto-create")
    parser.add_argument("--concurrency", type=int, default=4, help="worker processes (prefork)")
    parser.add_argument("--rate", type=float, default=10.0, help="sandbox requests per second")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--database", default="crm_ratelimit_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    from bench.seed import (
        connected_studio,
        crm_in_process,
        link_galleries,
        sandbox_galleries,
        sent_invoice,
    )
    from sandbox.testing import Sandbox

    sandbox = Sandbox.start()
    env = crm_in_process(
        args.database,
        sandbox,
        CELERY_BROKER_URL=args.broker,
        CELERY_TASK_ALWAYS_EAGER="false",
        PICTIME_RATE_LIMIT_PER_SECOND=str(args.rate),
        PICTIME_RATE_LIMIT_BURST=str(args.burst),
    )
    import logging

    import django

    django.setup()
    logging.getLogger("pictime").setLevel(logging.WARNING)
    from django.db.models import Max
    from django.utils import timezone

    from crm.celery import app, ping
    from crm.payments.services import record_payment
    from crm.projects.services import create_project
    from pictime.models import AutoCreateJob, GalleryLink, SyncRun
    from pictime.services.connection import set_auto_create
    from pictime.services.sync import connections_to_sync
    from pictime.tasks import sync_connection_task

    worker = None
    try:
        sandbox.register_client(
            "bench-crm", "bench-crm-secret", ["http://127.0.0.1:9/integrations/pictime/callback/"]
        )
        account = sandbox.create_account(name="Busy Studio", email="busy@bench.test")
        galleries = sandbox_galleries(sandbox, account["id"], args.galleries)
        company, connection, projects = connected_studio(
            sandbox, account["id"], name="Busy Studio", email="busy@bench.test"
        )
        set_auto_create(connection, True)
        client = projects[0].client
        link_galleries(connection, account["id"], projects, galleries)
        installments = []
        for p in range(args.payments):
            project = create_project(company=company, client=client, name=f"Wedding {p}", type="wedding")
            installments.append(sent_invoice(project).installments.get())

        app.control.purge()  # whatever connecting queued (a first sync) is not what is measured
        workdir = tempfile.mkdtemp(prefix="ratelimit-bench-")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--loglevel", "WARNING"]
            + ["--concurrency", str(args.concurrency), "--without-gossip", "--without-mingle"]
            + ["--pidfile", f"{workdir}/worker.pid", "--logfile", f"{workdir}/worker.log", "-n", "bench@%h"],
            cwd=ROOT,
            env=env,
        )
        ping.apply_async(args=["up"]).get(timeout=60)
        time.sleep(2 + args.burst / args.rate)  # the account's bucket full again at both ends
        sandbox.set_rate_limit(per_sec=args.rate, burst=args.burst)
        before = sandbox.stats(account["id"])
        links_before = GalleryLink.objects.count()

        # The payments arrive together with the beat's sync: queued while the worker does not consume
        # (recording 200 payments takes longer than the limit lets them through), then released at once.
        node = [f"bench@{socket.gethostname()}"]
        assert app.control.cancel_consumer("celery", destination=node, reply=True), "worker did not answer"
        print(f"queueing the beat's sync of {args.galleries} links + {args.payments} first payments ...")
        for connection_id in connections_to_sync():  # what beat's sync_all_connections sends
            sync_connection_task.delay(connection_id, SyncRun.Trigger.SCHEDULE)
        for installment in installments:
            record_payment(installment=installment, amount=Decimal("100.00"), method="card")
        print("releasing them to the worker ...", flush=True)
        started_at = timezone.now()
        started = time.monotonic()
        app.control.add_consumer("celery", destination=node, reply=True)
        cpu_before = cpu_seconds(worker.pid)

        def done():
            run = (
                SyncRun.objects.filter(
                    connection=connection, trigger=SyncRun.Trigger.SCHEDULE, started_at__gte=started_at
                )
                .order_by("started_at")
                .first()
            )
            finished = run is not None and run.status != SyncRun.Status.RUNNING
            return run, finished and GalleryLink.objects.count() - links_before >= args.payments

        run, finished = done()
        while not finished and time.monotonic() - started < args.timeout:
            time.sleep(0.2)
            run, finished = done()
        after = sandbox.stats(account["id"])
        worker_cpu = cpu_seconds(worker.pid) - cpu_before

        new_links = GalleryLink.objects.filter(created_at__gte=started_at)
        last_link = new_links.aggregate(last=Max("created_at"))["last"]
        ends = [t for t in (last_link, run.finished_at if run else None) if t is not None]
        wall = (max(ends) - started_at).total_seconds() if ends else float("nan")
        requests = after["api_requests"] - before["api_requests"]
        refused = after["rate_limited"] - before["rate_limited"]
        bound = max(0.0, (requests - args.burst) / args.rate)
        statuses = {}
        for status in AutoCreateJob.objects.values_list("status", flat=True):
            statuses[status] = statuses.get(status, 0) + 1
        galleries_made = after["galleries"] - args.galleries

        print(f"sync run:               {run.status if run else 'none'} {run.error if run else ''}")
        if run:
            print(f"  galleries checked:    {run.galleries_checked}, its requests: {run.requests_made}")
            print(
                f"  sync ran:             {(run.started_at - started_at).total_seconds():.2f} s"
                f" to {(run.finished_at - started_at).total_seconds():.2f} s"
            )
        print(f"worker processes:       {args.concurrency}")
        jobs = AutoCreateJob.objects.filter(finished_at__isnull=False)
        if last_link:
            print(f"  last gallery linked:  {(last_link - started_at).total_seconds():.2f} s")
        attempts = sorted(jobs.values_list("attempts", flat=True))
        if attempts:
            print(f"  attempts per job:     median {attempts[len(attempts) // 2]}, max {attempts[-1]}")
        print(f"galleries auto-created: {new_links.count()} links, {galleries_made} at Pic-Time")
        print(f"jobs by status:         {statuses}")
        print(f"requests made:          {requests}")
        during_block = after["refused_during_block"] - before["refused_during_block"]
        print(f"refused (429):          {refused} (during a block: {during_block})")
        print(f"token refreshes:        {after['token_refreshes'] - before['token_refreshes']}")
        print(f"wall time:              {wall:.2f} s")
        print(
            f"rate-limit bound:       {bound:.2f} s = ({requests} requests - burst {args.burst})"
            f" / {args.rate:g} per s"
        )
        print(
            f"worker CPU:             {worker_cpu:.1f} s in {args.concurrency} processes"
            f" (machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
        ratio = wall / bound if bound else float("nan")
        print(f"wall / bound:           {ratio:.3f} (goal <= 1.2)")
        ok = (
            run is not None
            and run.status == SyncRun.Status.SUCCEEDED
            and run.galleries_checked >= args.galleries  # + the links made before it started
            and new_links.count() == galleries_made == args.payments
            and refused == 0
            and ratio <= 1.2
        )
        print("RESULT:", "OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
