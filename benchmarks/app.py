"""Optiscape's performance figures, measured against gunicorn on loopback.

    python -m benchmarks.app            # a table of figures with targets, pass/fail
    python -m benchmarks.app --json     # one JSON object
    python -m benchmarks.app --no-browser   # skip the Chromium measurements

Figures: time from process start to ready (empty and warm JAX persistent cache), a
recompute ("compute": the `update` callback after a learning rate changed, 8 runs × 1,000
steps on Rosenbrock; median over ≥ 30 requests and response size), the first page load's
bytes (as served and gzipped), and the animation's frame rate in headless Chromium. See
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from benchmarks.dash_client import DashClient, Page, Transfer, runs_in
from benchmarks.server import THREADS, WORKERS, Gunicorn

# A realistic class link: eight optimizers racing on Rosenbrock for 1,000 steps.
BENCH_RUNS = (
    "sgd(lr=0.001)", "momentum(lr=0.001)", "nesterov(lr=0.001)", "adagrad(lr=0.5)",
    "rmsprop(lr=0.005)", "adam(lr=0.02)", "adamw(lr=0.02)", "lion(lr=0.005)",
)
BENCH_QUERY = "v=1&surface=rosenbrock&steps=1000&" + "&".join(f"run={r}" for r in BENCH_RUNS)
TARGETS = {
    "ready_s_cold_cache": ("≤", 10.0, "s"),
    "ready_s_warm_cache": ("≤", 10.0, "s"),
    "compute_median_ms": ("≤", 30.0, "ms"),
    "compute_response_kb": ("≤", 300.0, "KB"),
    "first_load_mb_as_served": ("≤", 2.5, "MB"),
    "first_load_mb_gzip": ("≤", 2.5, "MB"),
    "browser_first_load_mb": ("≤", 2.5, "MB"),
    "animation_fps": ("≥", 30.0, "fps"),
}
DEADLINE_S = 600.0


@dataclass
class Clock:
    """A global deadline for the whole benchmark."""

    end: float

    def left(self) -> float:
        """Seconds left; raises once the deadline has passed."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("benchmark deadline reached")
        return left


def startup(cache_dir: str, workers: int, threads: int) -> dict:
    """Start gunicorn twice on one cache directory: first empty, then warm."""
    figures = {}
    for label in ("cold_cache", "warm_cache"):
        server = Gunicorn(workers=workers, threads=threads, cache_dir=cache_dir)
        try:
            server.start()
            figures[f"ready_s_{label}"] = round(server.ready_s, 2)
            figures[f"all_workers_warm_s_{label}"] = round(server.all_warm_s, 2)
            figures[f"warm_up_s_{label}"] = [round(s, 2) for s, _ in server.warm_ups()]
        finally:
            server.stop()
    return figures


def first_load(client: DashClient, search: str) -> tuple[Page, dict]:
    """Every request of a first page load, with bytes as served and gzipped."""
    page, transfers = client.open(search)
    callbacks = client.first_callbacks(page)
    everything = transfers + [t for _, t in callbacks]
    bad = [f"{t.method} {t.path} → {t.status}" for t in everything if t.status >= 400]
    return page, {
        "first_load_requests": len(everything),
        "first_load_mb_as_served": round(sum(t.wire_bytes for t in everything) / 1e6, 3),
        "first_load_mb_gzip": round(sum(t.gzip_bytes for t in everything) / 1e6, 3),
        "first_load_largest": sorted(
            ((t.path.split("?")[0], round(t.wire_bytes / 1e3), round(t.gzip_bytes / 1e3)) for t in everything),
            key=lambda row: -row[1],
        )[:6],
        "first_load_errors": bad,
        "first_load_runs": len(runs_in(dict(callbacks)["update"])) if "update" in dict(callbacks) else 0,
        "client_paths": {t.path.split("?")[0] for t in everything},
    }


def recompute(server: Gunicorn, client: DashClient, page: Page, count: int, clock: Clock) -> dict:
    """`count` recomputes of the 8-run link: the `update` request after the learning rate of
    run 1 was changed (a new value each time)."""
    pattern = {"type": "run-field", "run": ["ALL"], "optimizer": ["ALL"], "name": ["ALL"]}
    lr = next(i for i in page.ids(pattern) if i["run"] == 0 and i["name"] == "lr")

    def nudge(value: float) -> Transfer:
        return dict(client.change(page, lr, "value", f"{value:.6g}"))["update"]

    for i in range(3):  # not measured: the structures' first use in this worker
        nudge(0.001 + i * 1e-6)
    mark = len(server.log())
    walls, server_ms, sizes, gz, runs = [], [], [], [], set()
    for i in range(count):
        clock.left()
        transfer = nudge(0.0011 + i * 1e-5)
        if transfer.status != 200:
            raise RuntimeError(f"update answered {transfer.status}")
        walls.append(transfer.seconds * 1e3)
        if transfer.server_ms is not None:
            server_ms.append(transfer.server_ms)
        sizes.append(transfer.wire_bytes)
        gz.append(transfer.gzip_bytes)
        runs.add(len(runs_in(transfer)))
    time.sleep(0.3)  # let gunicorn flush its access log
    logged = [ms for method, path, status, ms in server.access(mark) if method == "POST"]
    return {
        "compute_requests": count,
        "compute_runs": sorted(runs),
        "compute_median_ms": round(statistics.median(walls), 1),
        "compute_p90_ms": round(statistics.quantiles(walls, n=10)[-1], 1),
        "compute_timing_source": "Server-Timing header" if server_ms else "wall time on loopback (client)",
        "compute_server_timing_median_ms": statistics.median(server_ms) if server_ms else None,
        "compute_gunicorn_median_ms": statistics.median(logged) if logged else None,
        "compute_response_kb": round(statistics.median(sizes) / 1e3, 1),
        "compute_response_kb_gzip": round(statistics.median(gz) / 1e3, 1),
    }


def browser(url: str, seconds: float = 4.0) -> dict:
    """Headless Chromium: the first load's bytes from the network log and the frame rate."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(30)
    try:
        driver.get(url)
        ready = """return !!(window.optiscape && window.optiscape.state.data &&
            window.optiscape.state.data.runs.length === 8 && window.Plotly &&
            document.querySelector('#graph-contour .js-plotly-plot .scatterlayer'));"""
        end = time.monotonic() + 60
        while not driver.execute_script(ready):
            if time.monotonic() > end:
                raise TimeoutError("the page never showed 8 runs")
            time.sleep(0.2)
        time.sleep(2.0)  # let the lazy chunks and the first draw settle
        loaded = _network_bytes(driver.get_log("performance"))
        fps = driver.execute_async_script(_FPS_SCRIPT, seconds * 1000)
    finally:
        driver.quit()
    return {
        "browser_first_load_mb": round(loaded["bytes"] / 1e6, 3),
        "browser_first_load_requests": loaded["requests"],
        "browser_content_encodings": loaded["encodings"],
        "browser_paths": loaded["paths"],
        "animation_fps": round(fps["frames"] / fps["seconds"], 1),
        "animation_steps_per_s": round(fps["steps"] / fps["seconds"], 1),
        "animation_raf_per_s": round(fps["rafs"] / fps["seconds"], 1),
        "animation_render_ms_median": fps["render_ms"],
    }


def _network_bytes(entries: list[dict]) -> dict:
    """Bytes received (headers + body as sent) over every finished request of the log."""
    total, requests_, encodings, paths = 0, 0, set(), set()
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.loadingFinished":
            total += message["params"]["encodedDataLength"]
            requests_ += 1
        elif message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            headers = {k.lower(): v for k, v in response["headers"].items()}
            encodings.add(headers.get("content-encoding", "identity"))
            if response["url"].startswith("http"):
                paths.add("/" + response["url"].split("/", 3)[3].split("?")[0])
    return {"bytes": total, "requests": requests_, "encodings": sorted(encodings), "paths": paths}


# Plays the animation at the fastest speed with looping on and counts, per animation frame of
# the browser, whether the shown step changed (a rendered frame: Plotly.restyle of every path).
_FPS_SCRIPT = """
const done = arguments[arguments.length - 1], duration = arguments[0];
const o = window.optiscape, speed = document.querySelector('#animation select');
speed.value = speed.options[speed.options.length - 1].value;
speed.dispatchEvent(new Event('change'));
const loop = document.querySelector('#animation input[type=checkbox]');
if (!loop.checked) loop.click();
const restyle = window.Plotly.restyle, times = [];
window.Plotly.restyle = function () {
  const t = performance.now(), out = restyle.apply(this, arguments);
  times.push(performance.now() - t); return out;
};
o.setFrame(0);
document.getElementById('anim-play').click();
let frames = 0, rafs = 0, steps = 0, last = o.state.frame;
const t0 = performance.now();
function count(now) {
  rafs += 1;
  if (o.state.frame !== last) { frames += 1; steps += Math.abs(o.state.frame - last); last = o.state.frame; }
  if (now - t0 < duration) { requestAnimationFrame(count); return; }
  o.pause(); window.Plotly.restyle = restyle;
  times.sort((a, b) => a - b);
  done({frames: frames, rafs: rafs, steps: steps, seconds: (performance.now() - t0) / 1000,
        render_ms: times.length ? Math.round(times[times.length >> 1] * 10) / 10 : null});
}
requestAnimationFrame(count);
"""


def verdicts(figures: dict) -> list[tuple[str, object, str, str]]:
    """(figure, value, target, PASS/FAIL) for every figure with a target."""
    rows = []
    for name, (op, limit, unit) in TARGETS.items():
        value = figures.get(name)
        if value is None:
            continue
        ok = value <= limit if op == "≤" else value >= limit
        rows.append((name, value, f"{op} {limit:g} {unit}", "PASS" if ok else "FAIL"))
    return rows


def table(figures: dict) -> str:
    """The figures with targets as a fixed-width table."""
    rows = [("figure", "value", "target", "")] + [(n, str(v), t, r) for n, v, t, r in verdicts(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    """Measure everything; print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    parser.add_argument("--requests", type=int, default=40, help="recompute requests to time (≥ 30)")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args(argv)
    clock = Clock(time.monotonic() + DEADLINE_S)
    figures: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "load_average_before": load_average(),
                     "workers": args.workers, "threads": args.threads, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="optiscape-jax-cache-") as cache:
        figures.update(startup(cache, args.workers, args.threads))
        clock.left()
        with Gunicorn(workers=args.workers, threads=args.threads, cache_dir=cache) as server:
            client = DashClient(server.url, estimate_gzip=True)
            try:
                page, loaded = first_load(client, "?" + BENCH_QUERY)
                figures.update(loaded)
                figures.update(recompute(server, client, page, max(30, args.requests), clock))
            finally:
                client.close()
            if not args.no_browser:
                clock.left()
                figures.update(browser(f"{server.url}/?{BENCH_QUERY}"))
                # the client must load what the browser loads (LAZY_RESOURCES can drift)
                figures["client_not_browser"] = sorted(figures["client_paths"] - figures["browser_paths"])
                figures["browser_not_client"] = sorted(figures["browser_paths"] - figures["client_paths"])
    for key in ("client_paths", "browser_paths"):
        figures.pop(key, None)
    figures["load_average_after"] = load_average()
    figures["verdicts"] = {name: verdict for name, _, _, verdict in verdicts(figures)}
    if args.json:
        print(json.dumps(figures))
    else:
        print(table(figures))
        extra = {k: v for k, v in figures.items() if k not in TARGETS and k != "verdicts"}
        print(json.dumps(extra, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
