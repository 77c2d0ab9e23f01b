"""Listing 10,000 galleries through the Pic-Time client versus raw `requests` calls, same sandbox.

    .venv/bin/python bench/client_bench.py [--galleries 10000] [--rounds 3]

Starts a Pic-Time sandbox on loopback with its rate limit raised for the run, makes an account with
N galleries, then lists them all (100 a page, following cursors) alternately through
`PicTimeClient.iter_galleries()` (typed errors, parsing into dataclasses, logs) and through a bare
`requests.Session` loop that only decodes the JSON. Prints galleries/s for both, and the ratio
client / raw (goal >= 0.9): what the client's safety costs on top of the HTTP itself. Also the CPU
seconds this process spent in each (the sandbox's time left out), which a busy machine skews less.
"""

import argparse
import logging
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pictime.client import PicTimeClient  # noqa: E402
from sandbox.testing import Sandbox  # noqa: E402


def list_raw(base_url, token):
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params = {"limit": 100}
    count = 0
    while True:
        response = session.get(
            f"{base_url}/api/v2/galleries", params=params, headers=headers, timeout=(3.05, 30)
        )
        response.raise_for_status()
        body = response.json()
        count += len(body["data"])
        if not body["next_cursor"]:
            return count
        params = {"limit": 100, "cursor": body["next_cursor"]}


def list_client(base_url, token):
    client = PicTimeClient(base_url, token, timeout=(3.05, 30))
    return sum(1 for _ in client.iter_galleries(limit=100))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galleries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("pictime.client").setLevel(logging.WARNING)

    sandbox = Sandbox.start(env={"SANDBOX_RATE_PER_SEC": "1000000", "SANDBOX_RATE_BURST": "1000000"})
    try:
        sandbox.register_client("bench-client", "bench-secret", ["http://127.0.0.1:9/cb/"])
        account = sandbox.create_account(name="Bench Studio", email="bench@client.test")
        print(f"creating {args.galleries} galleries at the sandbox ...", flush=True)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda n: sandbox.create_gallery(account["id"], name=f"Gallery {n}"),
                    range(args.galleries),
                )
            )
        print(f"  made in {time.monotonic() - started:.1f} s", flush=True)
        token = sandbox.issue_grant(account["id"], "bench-client", expires_in=3600)["access_token"]

        times = {"raw requests": [], "PicTimeClient": []}
        cpu = {"raw requests": [], "PicTimeClient": []}
        for _ in range(args.rounds):  # alternate, so a change of load hits both alike
            for name, run in (("raw requests", list_raw), ("PicTimeClient", list_client)):
                started, started_cpu = time.perf_counter(), time.process_time()
                count = run(sandbox.url, token)
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - started_cpu)
                assert count == args.galleries, (name, count)
    finally:
        sandbox.stop()

    print(f"\nListing {args.galleries} galleries, 100 a page, {args.rounds} alternating rounds (median):")
    rates = {}
    for name, samples in times.items():
        median = statistics.median(samples)
        rates[name] = args.galleries / median
        print(
            f"  {name:14} {median:7.2f} s   {rates[name]:9.0f} galleries/s"
            f"   CPU here {statistics.median(cpu[name]):5.2f} s"
        )
    ratio = rates["PicTimeClient"] / rates["raw requests"]
    verdict = "met" if ratio >= 0.9 else "NOT met"
    print(f"ratio client / raw: {ratio:.2f} (goal >= 0.9: {verdict})")


if __name__ == "__main__":
    main()
