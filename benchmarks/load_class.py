"""A class opening one Optiscape link and playing with it, against gunicorn on loopback.

    python -m benchmarks.load_class --students 100 --changes 20
    python -m benchmarks.load_class --students 100 --changes 20 --kill-worker-at 40

Each student (a thread with its own keep-alive session; the class spread over `--processes`
load-generator processes) arrives at a random moment within `--arrival` seconds, loads the
page like the browser (HTML, scripts, lazy chunks, layout, dependencies and the first
callbacks: load → update) and then makes `--changes` random changes through the same
callback requests the browser sends (update; before it load for a preset, change_surface for
a surface, edit_runs for an optimizer), thinking `--think-min`…`--think-max` seconds between
changes.

A failed request (connection error, timeout or 5xx) is counted as an error and retried once;
one that fails twice is counted as lost. Latency percentiles are over the callback requests
of the changes; page loads (all their requests and first callbacks) are reported apart.
With `--kill-worker-at S` one gunicorn worker is SIGKILLed S seconds after the first student
arrives; the master starts a new one (which warms up in the background).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3

from benchmarks.app import BENCH_QUERY, load_average
from benchmarks.dash_client import UPDATE_PATH, DashClient, Page, Transfer, callback_name, runs_in
from benchmarks.server import THREADS, WORKERS, Gunicorn

PRESETS_SAMPLE = ("canyon_race", "sgd_vs_momentum_canyon", "nesterov", "adaptive_four_way", "ravine")
SURFACES_SAMPLE = ("rosenbrock", "canyon", "himmelblau", "beale", "rastrigin")
OPTIMIZERS_SAMPLE = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adagrad", "lion")
CHANGES = (  # (kind, weight): what students do most is nudge a learning rate
    ("lr", 30), ("hyper", 15), ("start", 15), ("steps", 10), ("surface_param", 10),
    ("preset", 8), ("optimizer", 7), ("surface", 5),
)
# Changes of numbers only: never a new compiled structure (surface, optimizer, step bucket).
NUMBERS = ("lr", "hyper", "start", "surface_param")


@dataclass
class Stats:
    """Everything the students measured (thread-safe)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    callbacks: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    page_loads: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)  # failed attempts, by kind
    retried_ok: int = 0
    lost: int = 0
    changes: int = 0
    wrong_runs: int = 0  # update responses without trajectories for every run
    first: float = float("inf")
    last: float = 0.0

    def add(self, name: str, seconds: float, at: float) -> None:
        """One successful callback request of a change."""
        with self.lock:
            self.callbacks[name].append(seconds * 1e3)
            self.first, self.last = min(self.first, at - seconds), max(self.last, at)

    def error(self, kind: str) -> None:
        """One failed attempt."""
        with self.lock:
            self.errors[kind] += 1

    def figures(self) -> dict:
        """Everything measured, as plain data (to send from a generator process)."""
        with self.lock:
            return {
                "callbacks": dict(self.callbacks), "page_loads": self.page_loads,
                "errors": dict(self.errors), "retried_ok": self.retried_ok, "lost": self.lost,
                "changes": self.changes, "wrong_runs": self.wrong_runs,
                "first": self.first, "last": self.last,
            }

    def merge(self, figures: dict) -> None:
        """Add another process's `figures`."""
        with self.lock:
            for name, values in figures["callbacks"].items():
                self.callbacks[name] += values
            self.page_loads += figures["page_loads"]
            self.errors.update(figures["errors"])
            for name in ("retried_ok", "lost", "changes", "wrong_runs"):
                setattr(self, name, getattr(self, name) + figures[name])
            self.first, self.last = min(self.first, figures["first"]), max(self.last, figures["last"])


class RetryingClient(DashClient):
    """A DashClient that counts a failed request, retries it once, and records callback times."""

    def __init__(self, base_url: str, stats: Stats, timeout: float) -> None:
        super().__init__(base_url, timeout=timeout)
        self.stats = stats
        self.in_page_load = True

    def request(self, method: str, path: str, body: dict | None = None) -> Transfer:
        """As DashClient.request, with one retry after a connection error, timeout or 5xx."""
        for attempt in (1, 2):
            try:
                transfer = super().request(method, path, body)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
                self.stats.error(type(error).__name__)
            else:
                if transfer.status < 500:
                    break
                self.stats.error(f"HTTP {transfer.status}")
            if attempt == 2:
                with self.stats.lock:
                    self.stats.lost += 1
                return Transfer(method, path, 599, 0.0, 0, 0, None)
        if attempt == 2:
            with self.stats.lock:
                self.stats.retried_ok += 1
        if body is not None and path.startswith(UPDATE_PATH) and not self.in_page_load:
            self.stats.add(callback_name(body["output"]) or "other", transfer.seconds, time.monotonic())
        return transfer


def _number(text: Any, default: float) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


def random_change(page: Page, rng: random.Random, numbers_only: bool = False) -> tuple[str, Any, str, Any]:
    """(kind, component id, property, value) of one plausible thing a student does."""
    mix = [(k, w) for k, w in CHANGES if k in NUMBERS or not numbers_only]
    kind = rng.choices([k for k, _ in mix], [w for _, w in mix])[0]
    fields = page.ids({"type": "run-field", "run": ["ALL"], "optimizer": ["ALL"], "name": ["ALL"]})
    params = page.ids({"type": "surface-param", "surface": ["ALL"], "name": ["ALL"]})
    if kind == "lr" and fields:
        target = rng.choice([f for f in fields if f["name"] == "lr"] or fields[:1])
        value = _number(page.get(target, "value"), 0.01) * rng.uniform(0.5, 2.0)
        return kind, target, "value", f"{value:.3g}"
    hypers = [f for f in fields if f["name"] in ("momentum", "beta1", "beta2", "alpha", "rho")]
    if kind == "hyper" and hypers:
        return kind, rng.choice(hypers), "value", f"{rng.uniform(0.5, 0.99):.3g}"
    if kind == "steps":
        return kind, {"type": "field", "name": "steps"}, "value", str(rng.choice((200, 500, 1000, 1500)))
    if kind == "surface_param" and params:
        target = rng.choice(params)
        low, _, high = str(page.get(target, "description", "1 … 2")).partition(" … ")
        return kind, target, "value", f"{rng.uniform(_number(low, 1), _number(high, 2)):.3g}"
    if kind == "preset":
        return kind, "preset", "value", rng.choice(PRESETS_SAMPLE)
    if kind == "optimizer":
        runs = page.ids({"type": "run-choice", "run": ["ALL"], "name": ["ALL"]})
        choices = [r for r in runs if r["name"] == "optimizer"]
        if choices:
            return kind, rng.choice(choices), "value", rng.choice(OPTIMIZERS_SAMPLE)
    if kind == "surface":
        return kind, {"type": "field", "name": "surface"}, "value", rng.choice(SURFACES_SAMPLE)
    axis = rng.choice(("start_x", "start_y"))
    return "start", {"type": "field", "name": axis}, "value", f"{rng.uniform(-2, 2):.2f}"


def student(index: int, base: str, args: argparse.Namespace, stats: Stats, t0: float, end: float) -> None:
    """One student: arrive, load the page, make the changes, thinking in between."""
    rng = random.Random(args.seed * 1000 + index)
    client = RetryingClient(base, stats, timeout=args.timeout)
    try:
        time.sleep(max(0.0, min(t0 + rng.uniform(0, args.arrival) - time.monotonic(), end - time.monotonic())))
        started = time.monotonic()
        page, _ = client.open("?" + args.link)
        client.first_callbacks(page)
        with stats.lock:
            stats.page_loads.append((time.monotonic() - started) * 1e3)
        client.in_page_load = False
        for _ in range(args.changes):
            pause = rng.uniform(args.think_min, args.think_max)
            if time.monotonic() + pause > end:
                return
            time.sleep(pause)
            _, component_id, prop, value = random_change(page, rng, args.mix == "numbers")
            done = client.change(page, component_id, prop, value)
            with stats.lock:
                stats.changes += 1
                computed = [  # an update whose canonical query was the one shown sends none
                    t for name, t in done
                    if name == "update" and t.status == 200 and "trajectories" in t.payload.get("response", {})
                ]
                expected = len(page.ids({"type": "run-choice", "run": ["ALL"], "name": ["ALL"]})) // 2
                stats.wrong_runs += sum(len(runs_in(t)) != expected for t in computed)
    except Exception as error:  # noqa: BLE001 -- a student's crash is a finding, not a stop
        stats.error(f"student crashed: {type(error).__name__}: {error}")
    finally:
        client.close()


def students(indices: list[int], base: str, args: argparse.Namespace, t0: float, end: float) -> dict:
    """Some students of the class, as threads of one load-generator process; their figures.

    The class is spread over several processes: in one, a hundred threads would queue for
    one interpreter lock and add their wait to the latencies they measure.
    """
    stats = Stats()
    with ThreadPoolExecutor(max_workers=len(indices)) as pool:
        futures = [pool.submit(student, i, base, args, stats, t0, end) for i in indices]
        for future in futures:
            future.result(timeout=max(1.0, end - time.monotonic() + args.timeout + 5))
    return stats.figures()


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def report(stats: Stats, args: argparse.Namespace, extra: dict) -> dict:
    """The figures of a run as one dict."""
    every = [ms for values in stats.callbacks.values() for ms in values]
    window = max(stats.last - stats.first, 1e-9)
    return {
        "students": args.students, "changes_per_student": args.changes, "mix": args.mix,
        "think_s": [args.think_min, args.think_max], "arrival_s": args.arrival,
        "changes_made": stats.changes,
        "callback_requests": len(every),
        "p50_ms": percentile(every, 50), "p95_ms": percentile(every, 95),
        "p99_ms": percentile(every, 99), "max_ms": round(max(every), 1) if every else None,
        "by_callback": {
            name: {"n": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95)}
            for name, v in sorted(stats.callbacks.items())
        },
        "throughput_rps": round(len(every) / window, 1),
        "page_load_p50_ms": percentile(stats.page_loads, 50),
        "page_load_p95_ms": percentile(stats.page_loads, 95),
        "page_loads": len(stats.page_loads),
        "errors": sum(stats.errors.values()), "errors_by_kind": dict(stats.errors),
        "retried_ok": stats.retried_ok, "lost": stats.lost, "wrong_run_counts": stats.wrong_runs,
        **extra,
    }


def _kill_later(server: Gunicorn, at: float, stop: threading.Event, out: dict) -> None:
    if stop.wait(max(0.0, at - time.monotonic())):
        return
    mark = len(server.warm_ups())
    out["killed_pid"] = server.kill_worker()
    killed = time.monotonic()
    end = killed + 60
    while not stop.is_set() and time.monotonic() < end and len(server.warm_ups()) <= mark:
        time.sleep(0.1)
    if len(server.warm_ups()) > mark:
        out["replacement_warm_s"] = round(time.monotonic() - killed, 2)


def main(argv: list[str] | None = None) -> int:
    """Run the class and print its figures (a summary, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--think-min", type=float, default=0.5)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--arrival", type=float, default=45.0, help="students arrive within this many seconds")
    parser.add_argument("--link", default=BENCH_QUERY, help="the query string every student opens")
    parser.add_argument("--mix", choices=("full", "numbers"), default="full",
                        help="full: every kind of change; numbers: only changes that never recompile")
    parser.add_argument("--no-teacher", action="store_true",
                        help="don't open the link once before the class (it compiles the link's structures)")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per worker (THREADS)")
    parser.add_argument("--url", help="use this running server instead of starting gunicorn")
    parser.add_argument("--kill-worker-at", type=float, help="SIGKILL one worker this many seconds in")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--deadline", type=float, default=600.0, help="for the whole run, seconds")
    parser.add_argument("--processes", type=int, default=4, help="load-generator processes (students spread over them)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.kill_worker_at is not None and args.url:
        parser.error("--kill-worker-at needs the gunicorn this command starts (no --url)")

    stats, extra = Stats(), {"load_average_before": load_average()}
    server = None if args.url else Gunicorn(workers=args.workers, threads=args.threads).start()
    extra.update(gunicorn_workers=args.workers, gunicorn_threads=args.threads)
    stop = threading.Event()
    try:
        base = args.url or server.url
        if not args.no_teacher:
            teacher = DashClient(base, timeout=120)
            started = time.monotonic()
            teacher.first_callbacks(teacher.open("?" + args.link)[0])
            extra["teacher_page_load_s"] = round(time.monotonic() - started, 2)
            teacher.close()
        mark = len(server.log()) if server else 0
        t0 = time.monotonic()
        end = t0 + args.deadline
        killer = None
        groups = [g for g in (list(range(k, args.students, args.processes)) for k in range(args.processes)) if g]
        with ProcessPoolExecutor(len(groups), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(students, group, base, args, t0, end) for group in groups]
            if args.kill_worker_at is not None:
                killer = threading.Thread(target=_kill_later, args=(server, t0 + args.kill_worker_at, stop, extra), daemon=True)
                killer.start()
            for future in futures:
                stats.merge(future.result(timeout=max(1.0, end - time.monotonic() + args.timeout + 10)))
        extra["generator_processes"] = len(groups)
        extra["wall_s"] = round(time.monotonic() - t0, 1)
        stop.set()
        if killer:
            killer.join(5)
    finally:
        stop.set()
        if server:
            server.stop()
    extra["load_average_after"] = load_average()
    if server:
        extra["server_errors"] = server.errors()
        # The workers' own time per callback request (gunicorn's access log; page loads' too):
        # what students measured, less the network and the load generator's own delays.
        inside = [ms for method, _, _, ms in server.access(mark) if method == "POST"]
        extra["server_p50_ms"], extra["server_p95_ms"] = percentile(inside, 50), percentile(inside, 95)
    figures = report(stats, args, extra)
    if args.json:
        print(json.dumps(figures))
    else:
        passed = figures["errors"] == 0 and (figures["p95_ms"] or 0) <= 250
        print(json.dumps(figures, indent=1))
        print(f"p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  p99 {figures['p99_ms']} ms  "
              f"{figures['throughput_rps']} req/s  errors {figures['errors']}  lost {figures['lost']}  "
              f"target (0 errors, p95 ≤ 250 ms): {'PASS' if passed else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
