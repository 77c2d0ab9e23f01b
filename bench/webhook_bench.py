"""Webhooks under load: signed `gallery.updated` deliveries posted to the CRM's web process
(gunicorn 2 workers x 4 threads) from client threads, processed by the Celery worker (bench/stack.py,
DEBUG off).

    .venv/bin/python bench/webhook_bench.py                  # 2,000 events on 100 linked galleries
    .venv/bin/python bench/webhook_bench.py --events 400 --galleries 20

Each gallery gets a run of updates (image_count 1, 2, 3 ... with a later updated_at each), sent in
order per gallery but interleaved across galleries and threads; a share of them is delivered a second
time (a redelivery). Prints accepted/s (first send to last answer), processed/s (first send to the
last event processed), CPU milliseconds per event of the web process, the worker and PostgreSQL, and
the statements per request and per task. Checks: every event stored once (0 lost), every
redelivery answered 200 and not stored again, every event processed once (0 applied twice), and
each link ends in its newest state (applied in order).
"""

import argparse
import datetime
import json
import os
import queue
import sys
import threading
import time
import uuid
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--galleries", type=int, default=100)
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8, help="client threads posting deliveries")
    parser.add_argument("--redeliver", type=float, default=0.05, help="share of events sent twice")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count(), help="worker processes")
    parser.add_argument("--database", default="crm_webhook_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    from bench.stack import Stack

    stack = Stack(database=args.database, broker=args.broker, concurrency=args.concurrency)
    try:
        stack.setup_django()
        links = _set_up(stack, args)
        return _run(stack, args, links)
    finally:
        stack.stop()


def _set_up(stack, args):
    """`galleries` links across `companies` connections: (link, its connection, the gallery's JSON)."""
    from bench.seed import connected_studio
    from pictime.models import GalleryLink
    from pictime.schemas import GalleryCreate

    print(f"setting up {args.companies} companies and {args.galleries} linked galleries ...", flush=True)
    links = []
    for c in range(args.companies):
        account = stack.sandbox.create_account(name=f"Hook Account {c}", email=f"a{c}@hook.test")
        numbers = range(c, args.galleries, args.companies)
        _, connection, projects = connected_studio(
            stack.sandbox,
            account["id"],
            name=f"Hook Studio {c}",
            email=f"o{c}@hook.test",
            projects=len(numbers),
            webhooks=True,
        )
        api = connection.api()
        for g, project in zip(numbers, projects, strict=True):
            gallery = api.create_gallery(GalleryCreate(name=f"Wedding {g}"), idempotency_key=f"hook-{g}")
            link = GalleryLink.to_gallery(project, connection, gallery, origin=GalleryLink.Origin.CREATED)
            link.save()
            raw = stack.sandbox.admin("GET", f"/_sandbox/galleries/{gallery.id}")  # as webhooks carry it
            links.append((link, connection, raw))
    return links


def _events(args, links):
    """[(url, secret, body bytes, gallery_id, image_count)] in the order they are sent."""

    per_gallery = -(-args.events // len(links))
    base = datetime.datetime.now(datetime.UTC)
    runs = []
    for link, connection, raw in links:
        run = []
        for k in range(1, per_gallery + 1):
            updated = (base + datetime.timedelta(seconds=k)).isoformat().replace("+00:00", "Z")
            data = {**raw, "image_count": k, "updated_at": updated}
            event = {
                "id": f"evt_{uuid.uuid4().hex}",
                "type": "gallery.updated",
                "created_at": updated,
                "account_id": connection.account_id,
                "data": data,
            }
            body = json.dumps(event, separators=(",", ":")).encode()
            run.append((connection.webhook_url, connection.webhook_secret, body, link.gallery_id, k))
        runs.append(run)
    ordered = [run[k] for k in range(per_gallery) for run in runs][: args.events]  # interleaved
    return ordered


def _run(stack, args, links):
    from bench import probe
    from bench.stack import print_cpu, print_queries
    from pictime.models import GalleryLink, WebhookEvent
    from pictime.signatures import sign

    events = _events(args, links)
    step = round(1 / args.redeliver) if args.redeliver else 0
    redeliveries = events[::step] if step else []
    sends = queue.Queue()
    for i, item in enumerate(events):
        sends.put(item)
        if step and i % step == 0:
            sends.put(item)  # delivered a second time, right after
    answers = Counter()
    meter = stack.meter()
    time.sleep(1)
    WebhookEvent.objects.all().delete()  # the set-up's gallery.created events
    probe.reset(args.broker)
    print(
        f"posting {len(events)} events (+ {len(redeliveries)} redeliveries) from {args.threads} threads ..."
    )
    meter.mark()
    started = time.monotonic()
    generator_cpu = time.process_time()

    counted = threading.Lock()

    def post():
        # A plain keep-alive connection per thread: the load generator shares the machine's two
        # cores with the CRM, so it should take as little of them as it can (Pic-Time runs elsewhere).
        http = None
        while True:
            try:
                url, secret, body, _gallery, _k = sends.get_nowait()
            except queue.Empty:
                return
            target = urlsplit(url)
            http = http or HTTPConnection(target.hostname, target.port, timeout=60)
            http.request(
                "POST",
                target.path,
                body=body,
                headers={"Content-Type": "application/json", "PicTime-Signature": sign(body, secret)},
            )
            answer = http.getresponse()
            answer.read()
            with counted:
                answers[answer.status] += 1

    pool = [threading.Thread(target=post) for _ in range(args.threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    accepted_in = time.monotonic() - started
    generator_cpu = time.process_time() - generator_cpu
    deadline = started + args.timeout
    stored = WebhookEvent.objects.all()
    while stored.filter(status=WebhookEvent.Status.QUEUED).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    processed_in = time.monotonic() - started
    cpu = meter.read()
    queries = probe.read(args.broker)

    n = len(events)
    statuses = Counter(stored.values_list("status", flat=True))
    newest = {}
    for _url, _secret, _body, gallery_id, k in events:
        newest[gallery_id] = max(k, newest.get(gallery_id, 0))
    final = dict(GalleryLink.objects.values_list("gallery_id", "image_count"))
    out_of_order = sum(1 for gallery_id, k in newest.items() if final.get(gallery_id) != k)
    runs = queries.get("pictime.process_webhook_events", {}).get("runs", 0)

    print(f"events:                  {n} on {len(links)} galleries, {len(redeliveries)} delivered twice")
    print(f"answers:                 {dict(answers)} (202 accepted, 200 duplicate)")
    deliveries = n + len(redeliveries)
    print(f"accepted:                {accepted_in:.2f} s = {deliveries / accepted_in:.0f} deliveries/s")
    print(f"processed:               {processed_in:.2f} s = {n / processed_in:.0f} events/s")
    print(f"stored events:           {stored.count()} by status {dict(statuses)}; tasks run {runs}")
    print(f"links not in their newest state: {out_of_order}")
    print_cpu(cpu, n, "event")
    print(
        "CPU ms per delivery of the load generator (this process's posting threads):",
        f"{1000 * generator_cpu / deliveries:.1f}",
    )
    print_queries(queries)
    ok = (
        stored.count() == n
        and statuses.get(WebhookEvent.Status.QUEUED, 0) == 0
        and statuses.get(WebhookEvent.Status.FAILED, 0) == 0
        and answers[202] == n
        and answers[200] == len(redeliveries)
        and out_of_order == 0
    )
    print("lost: 0, applied twice: 0" if ok else "lost or applied twice: see above")
    print("RESULT:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
