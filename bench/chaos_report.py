"""Where a chaos run's time went (bench/chaos.py): the CPU each of its processes used, from /proc, and
what the worker did, from its log (the Procfile's `--loglevel INFO`: a line per task run and per
call to Pic-Time).

Bench-only: nothing in the CRM imports it.
"""

import ast
import os
import re
import statistics
import threading
from collections import Counter, defaultdict
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")

TASK_DONE = re.compile(r"Task (\S+)\[[^\]]+\] succeeded in ([\d.e-]+)s: (.*)$", re.MULTILINE)
TASK_RETRY = re.compile(r"Task (\S+)\[[^\]]+\] retry: ", re.MULTILINE)
CALL = re.compile(r"pictime (GET|POST|PUT|PATCH|DELETE) (\S+) -> (\S+) \(([\d.]+) ms\)", re.MULTILINE)


def _own_cpu(pid: int) -> tuple[int, float] | None:
    """(ppid, CPU seconds of the process itself), or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


class CpuMeter:
    """CPU seconds of each role's processes (the trees under their root pids), sampled twice a second:
    a process killed between two samples loses at most its last half second. ``roots()`` gives the
    current root pids of each role (they change when a process is started again); ``alone``, processes
    counted without their children (the bench itself, whose children are the roles')."""

    def __init__(self, roots, alone: dict[str, int], interval: float = 0.5):
        self.roots = roots
        self.alone = alone
        self.interval = interval
        self.seen: dict[int, tuple[str, float]] = {}  # pid -> (role, latest CPU seconds)
        self.marks: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        children = defaultdict(list)
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _own_cpu(int(entry.name))
                if stat:
                    stats[int(entry.name)] = stat
                    children[stat[0]].append(int(entry.name))
        with self.lock:
            for role, pid in self.alone.items():
                if pid in stats:
                    self.seen[pid] = (role, stats[pid][1])
            for role, pids in self.roots().items():
                todo = [pid for pid in pids if pid]
                while todo:
                    pid = todo.pop()
                    if pid in stats:
                        # A process keeps the role it was first seen in (a killed process's children).
                        self.seen[pid] = (self.seen.get(pid, (role,))[0], stats[pid][1])
                        todo.extend(children.get(pid, []))

    def totals(self) -> dict[str, float]:
        with self.lock:
            out = Counter()
            for role, cpu in self.seen.values():
                out[role] += cpu
            return dict(out)

    def mark(self, name: str) -> None:
        self.sample()
        self.marks[name] = self.totals()

    def between(self, start: str, end: str) -> dict[str, float]:
        a, b = self.marks[start], self.marks[end]
        return {role: b.get(role, 0.0) - a.get(role, 0.0) for role in b}

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def worker_activity(log: str) -> dict:
    """From the worker's log: task runs by name and outcome with their mean wall time, Celery retries,
    what the beat's sweeps sent again, and the calls to Pic-Time by outcome with their mean time."""
    runs: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter = Counter()
    swept: Counter = Counter()
    for name, runtime, value in TASK_DONE.findall(log):
        short = name.removeprefix("pictime.")
        runs[short].append(float(runtime))
        outcomes[(short, value.strip().strip("'\""))] += 1
        if name == "pictime.run_pending_work":
            try:
                swept.update(ast.literal_eval(value.strip()))
            except (ValueError, SyntaxError):
                pass
    calls: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for method, path, status, ms in CALL.findall(log):
        path = re.sub(r"/[0-9a-f-]{8,}", "/{id}", path)
        calls[(method, path, status)].append(float(ms))
    return {
        "runs": runs,
        "outcomes": outcomes,
        "retries": Counter(name.removeprefix("pictime.") for name in TASK_RETRY.findall(log)),
        "swept": swept,
        "calls": calls,
    }


def print_breakdown(cpu: dict[str, dict[str, float]], activity: dict, jobs: int, walls: dict[str, float]):
    print("where the time went:")
    for window, wall in walls.items():
        used = cpu[window]
        parts = ", ".join(f"{role} {seconds:.1f}" for role, seconds in sorted(used.items()))
        total = sum(used.values())
        print(f"  CPU s, {window} ({wall:.1f} s wall, {total / wall:.2f} cores): {parts}")
    whole = Counter()
    for used in cpu.values():
        whole.update(used)
    per_job = ", ".join(f"{role} {1000 * seconds / jobs:.1f}" for role, seconds in sorted(whole.items()))
    print(f"  CPU ms per payment, whole run: {per_job}")
    for name, times in sorted(activity["runs"].items(), key=lambda kv: -sum(kv[1])):
        results = ", ".join(
            f"{result} {n}" for (task, result), n in activity["outcomes"].most_common() if task == name
        )
        results = results if len(results) < 160 else results[:157] + "..."
        retried = activity["retries"].get(name, 0)
        print(
            f"  task {name}: {len(times)} runs, mean {1000 * statistics.mean(times):.0f} ms,"
            f" total {sum(times):.1f} s; Celery retries {retried}; results: {results}"
        )
    swept = dict(activity["swept"])
    print(f"  sent again by the sweep: {swept or 'nothing'}")
    for (method, path, status), times in sorted(activity["calls"].items(), key=lambda kv: -len(kv[1])):
        print(
            f"  Pic-Time {method} {path} -> {status}: {len(times)} calls,"
            f" mean {statistics.mean(times):.0f} ms, p95 {_p95(times):.0f} ms"
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
