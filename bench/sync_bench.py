"""The periodic sync of one company with many linked galleries against the rate-limited sandbox.

    .venv/bin/python bench/sync_bench.py                  # 10,000 linked galleries
    .venv/bin/python bench/sync_bench.py --galleries 1000

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust). Uses its own database (dropped and made
again); everything runs on loopback. Prints the requests made, the elapsed time, and beside it the
bound the rate limit puts on it (requests beyond the burst / requests allowed per second).
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=200, help="galleries given photos before the sync")
    parser.add_argument("--orders", type=int, default=100, help="orders placed before the sync")
    parser.add_argument("--rate", type=float, default=10.0, help="sandbox requests per second")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--database", default="crm_sync_bench")
    args = parser.parse_args()

    from bench.seed import connected_studio, crm_in_process, link_galleries, sandbox_galleries
    from sandbox.testing import Sandbox

    sandbox = Sandbox.start()
    crm_in_process(args.database, sandbox, CELERY_TASK_ALWAYS_EAGER="true")
    try:
        import logging

        import django

        django.setup()
        logging.getLogger("pictime.client").setLevel(logging.WARNING)
        from pictime.models import SyncRun
        from pictime.services.sync import sync_links

        sandbox.register_client("bench-crm", "bench-crm-secret", ["http://127.0.0.1:9/cb/"])
        account = sandbox.create_account(name="Big Studio", email="big@bench.test")
        galleries = sandbox_galleries(sandbox, account["id"], args.galleries)
        _, connection, projects = connected_studio(
            sandbox, account["id"], name="Big Studio", email="big@bench.test"
        )
        link_galleries(connection, account["id"], projects, galleries)

        step = max(1, args.galleries // max(1, args.changed))
        changed = galleries[::step][: args.changed]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda g: sandbox.add_photos(g["id"], 5), changed))
            list(pool.map(lambda g: sandbox.place_order(g["id"]), galleries[: args.orders]))
        sandbox.set_rate_limit(per_sec=args.rate, burst=args.burst)
        before = sandbox.stats(account["id"])

        print(f"syncing {args.galleries} linked galleries ...", flush=True)
        started = time.monotonic()
        run = sync_links(connection, None, SyncRun.Trigger.COMMAND)
        elapsed = time.monotonic() - started
        after = sandbox.stats(account["id"])

        bound = max(0.0, (run.requests_made - args.burst) / args.rate)
        print(f"status:                 {run.status} {run.error}")
        print(f"galleries checked:      {run.galleries_checked} (updated {run.galleries_updated})")
        print(f"orders upserted:        {run.orders_upserted}")
        print(f"requests made:          {run.requests_made}")
        print(f"refused (429):          {after['rate_limited'] - before['rate_limited']}")
        print(f"elapsed:                {elapsed:.2f} s")
        print(
            f"rate-limit bound:       {bound:.2f} s = ({run.requests_made} requests - burst {args.burst})"
            f" / {args.rate:g} per s; elapsed / bound = {elapsed / bound if bound else float('nan'):.2f}"
        )
        print(f"requests per gallery:   {run.requests_made / max(1, args.galleries):.4f}")
        ok = run.status == SyncRun.Status.SUCCEEDED and run.galleries_checked == args.galleries
        print("RESULT:", "OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        from django.db import connections

        connections.close_all()
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
