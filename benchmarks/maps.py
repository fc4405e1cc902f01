"""How fast the maps are computed and served, against baselines measured in the same run.

    python -m benchmarks.maps            # a table
    python -m benchmarks.maps --json     # one JSON object
    python -m benchmarks.maps --students 0   # without the class (no gunicorn)

1. The engine: a 256×256-start × 1,000-step Adam basin map on Rosenbrock (65,536 runs,
   float64), compiled work only, and its throughput in run-steps per second.
2. The same map in vectorised NumPy (written below: Adam over all starts at once, the
   gradient by hand) and the ratio.
3. The whole `GET /api/maps` request for that map (computation, JSON of 65,536 cells per
   array), in-process, with an empty cache.
4. What the page receives for that map: the coarse map in the update response and the
   binary blocks of the full grid (`/api/maps/block`).
5. A class: `--students` students open the same map link at once (within `--arrival`
   seconds) against gunicorn on loopback, as the browser does: the page, its first
   callbacks (the coarse map, the preset's claim checked on its map), then every block.
   Per student the time from the loaded page (its HTML and scripts, reported apart) until
   the coarse and the full map are there; every worker's log says how many maps it computed
   (each distinct map once: concurrent requests wait for the one computation).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import engine  # noqa: F401 - float64 and the engine's XLA flags, before any JAX work
from engine import Run, Simulation, validate
from engine.maps import axis_values, base_cells, sweep

GRID, STEPS, LR = 256, 1_000, 0.01
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
MAP_QUERY = f"view=basins&surface=rosenbrock&run=adam(lr={LR})&steps={STEPS}&grid={GRID}"
CLASS_LINK = "preset=large_basins&grid=128"
_COMPUTED = re.compile(r"map computed in (\d+) ms \(pid (\d+)\)")


def _simulation() -> Simulation:
    return validate(Simulation("rosenbrock", (Run("adam", {"lr": LR}),), steps=STEPS))


def _starts() -> np.ndarray:
    xs, ys = axis_values(-2.0, 2.0, GRID), axis_values(-1.0, 3.0, GRID)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def engine_seconds(repeats: int = 3) -> tuple[float, np.ndarray]:
    """The best of `repeats` warm sweeps of the whole map, and its final positions."""
    sim, starts = _simulation(), _starts()
    cells = base_cells(sim, 0, len(starts))._replace(start=starts)
    result = sweep(sim, 0, cells, 1e-6)  # compiles
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        result = sweep(sim, 0, cells, 1e-6)
        best = min(best, time.perf_counter() - started)
    return best, result.final_xy


def numpy_map(starts: np.ndarray) -> np.ndarray:
    """The same map in vectorised NumPy: Adam (torch's convention) on Rosenbrock (a=1,
    b=100) from every start at once; the final positions."""
    xy = starts.copy()
    m, v = np.zeros_like(xy), np.zeros_like(xy)
    for t in range(1, STEPS + 1):
        x, y = xy[:, 0], xy[:, 1]
        inner = y - x * x
        g = np.stack([-2.0 * (1.0 - x) - 400.0 * x * inner, 200.0 * inner], axis=1)
        m = BETA1 * m + (1.0 - BETA1) * g
        v = BETA2 * v + (1.0 - BETA2) * g * g
        step = LR / (1.0 - BETA1**t)
        xy = xy - step * m / (np.sqrt(v / (1.0 - BETA2**t)) + EPS)
    return xy


def numpy_seconds() -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    final = numpy_map(_starts())
    return time.perf_counter() - started, final


def api_seconds() -> tuple[float, int]:
    """One `GET /api/maps` of the map, in-process, with an empty cache."""
    import app
    import mapping

    mapping._CACHE = mapping.SingleFlight(48)
    client = app.server.test_client()
    started = time.perf_counter()
    response = client.get(f"/api/maps?{MAP_QUERY}")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.get_data()[:200]
    return elapsed, len(response.get_data())


def page_bytes() -> dict:
    """What the page receives for the 256×256 map, both ways: a map not computed yet comes as
    the coarse map (JSON, in the update response) and then the blocks of the full grid
    (binary); a map computed already (here by the API request before) comes whole in the
    update response."""
    from computation import map_payload
    from mapping import COARSE, block_bytes, blocks, cached_map, computed_map, grid_payload
    from urlstate import parse_query, to_query

    state = parse_query(MAP_QUERY)[0]
    query = to_query(state)
    coarse = len(json.dumps(grid_payload(state, cached_map(state, grid=COARSE), query, GRID)))
    sent = sum(len(block_bytes(cached_map(state, rows=b))) for b in blocks(GRID, 1))
    assert computed_map(state) is not None  # so the update sends it whole
    whole = len(json.dumps(map_payload(state, query)))
    return {"coarse_json": coarse, "blocks_binary": sent, "total": coarse + sent, "whole_json": whole}


# --------------------------------------------------------------------------- the class


def _student(base: str, t0: float, arrival: float, seed: int, timeout: float) -> dict:
    from benchmarks.dash_client import DashClient

    rng = random.Random(seed)
    time.sleep(max(0.0, t0 + rng.uniform(0, arrival) - time.monotonic()))
    started = time.monotonic()
    client = DashClient(base, timeout=timeout)
    try:
        page, _ = client.open("?" + CLASS_LINK)
        loaded = time.monotonic()  # the page's HTML, scripts, layout: served, not computed
        done = client.first_callbacks(page)
        data = page.get("map-data", "data")
        if not data:
            return {"error": "no map in the first callbacks"}
        coarse = time.monotonic() - loaded
        for first, stop in data["refine"]["blocks"] if data.get("refine") else []:
            block = client.get(f"/api/maps/block?{data['key']}&rows={first},{stop}")
            if block.status != 200:
                return {"error": f"block HTTP {block.status}"}
        errors = [name for name, t in done if t.status >= 500]
        end = time.monotonic()
        return {"page": loaded - started, "coarse": coarse, "full": end - loaded,
                "error": ", ".join(errors)}
    except Exception as error:  # noqa: BLE001 -- a student's failure is a finding
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        client.close()


def class_figures(students: int, arrival: float, timeout: float = 60.0) -> dict:
    """`students` open CLASS_LINK within `arrival` seconds against gunicorn."""
    from benchmarks.load_class import percentile
    from benchmarks.server import Gunicorn

    with Gunicorn() as server:  # started, every worker warmed up
        t0 = time.monotonic() + 0.5
        with ThreadPoolExecutor(max_workers=students) as pool:
            results = list(pool.map(
                lambda i: _student(server.url, t0, arrival, i, timeout), range(students)
            ))
        server.stop()
        log = server.final_log
    per_worker = Counter(pid for _, pid in _COMPUTED.findall(log))
    full = [r["full"] * 1e3 for r in results if not r.get("error")]
    coarse = [r["coarse"] * 1e3 for r in results if not r.get("error")]
    page = [r["page"] * 1e3 for r in results if not r.get("error")]
    return {
        "students": students,
        "arrival_s": arrival,
        "errors": sum(bool(r.get("error")) for r in results),
        "first_error": next((r["error"] for r in results if r.get("error")), None),
        "coarse_ms": {q: percentile(coarse, q) for q in (50, 95)},
        "full_ms": {q: percentile(full, q) for q in (50, 95, 99)},
        "page_load_ms": {q: percentile(page, q) for q in (50, 95)},
        "maps_computed_per_worker": dict(per_worker),
    }


def measure(students: int, arrival: float, engine_part: bool = True) -> dict:
    from benchmarks.app import load_average

    result = {"load_average_start": load_average()}
    if engine_part:
        result.update(_engine_part())
    if students:
        result["class"] = class_figures(students, arrival)
    result["load_average_end"] = load_average()
    return result


def _engine_part() -> dict:
    result = {}
    engine_s, final = engine_seconds()
    numpy_s, reference = numpy_seconds()
    inside = np.all(np.isfinite(reference), axis=1) & np.all(np.isfinite(final), axis=1)
    result["engine"] = {
        "seconds": engine_s,
        "run_steps_per_second": GRID * GRID * STEPS / engine_s,
        "numpy_seconds": numpy_s,
        "numpy_ratio": numpy_s / engine_s,
        "max_difference_vs_numpy": float(np.max(np.abs(final[inside] - reference[inside]))),
    }
    api_s, api_size = api_seconds()
    result["api"] = {"seconds": api_s, "bytes": api_size}
    result["page"] = page_bytes()
    return result


def table(r: dict) -> str:
    return _table_end(r, _engine_rows(r) if "engine" in r else [])


def _engine_rows(r: dict) -> list:
    e, a, p = r["engine"], r["api"], r["page"]
    return [
        ("256×256 × 1,000 Adam map, compiled work", f"{e['seconds'] * 1e3:.0f} ms", "≤ 500 ms"),
        ("throughput", f"{e['run_steps_per_second'] / 1e6:.0f} M run-steps/s", "≥ 150 M/s"),
        ("the same in vectorised NumPy", f"{e['numpy_seconds'] * 1e3:.0f} ms: "
         f"{e['numpy_ratio']:.1f}× the engine (max |Δ| {e['max_difference_vs_numpy']:.1e})", "≥ 3×"),
        ("GET /api/maps, empty cache", f"{a['seconds'] * 1e3:.0f} ms ({a['bytes'] / 1e6:.1f} MB JSON)", "≤ 1 s"),
        ("to the page: coarse JSON + binary blocks", f"{p['coarse_json'] / 1e3:.0f} + "
         f"{p['blocks_binary'] / 1e3:.0f} = {p['total'] / 1e3:.0f} KB", "≤ 400 KB"),
        ("  or, computed already, whole in the update (JSON)", f"{p['whole_json'] / 1e3:.0f} KB", "≤ 400 KB"),
    ]


def _table_end(r: dict, rows: list) -> str:
    if "class" in r:
        c = r["class"]
        rows += [
            (f"class of {c['students']} within {c['arrival_s']:g} s: full map p50 / p95 / p99",
             " / ".join(f"{c['full_ms'][q]:.0f}" if c["full_ms"][q] is not None else "–" for q in (50, 95, 99)) + " ms",
             "p95 ≤ 2 s"),
            ("  page load before it (HTML, scripts) p50 / p95", " / ".join(
                f"{c['page_load_ms'][q]:.0f}" if c["page_load_ms"][q] is not None else "–" for q in (50, 95)) + " ms", ""),
            ("  coarse map p50 / p95", " / ".join(
                f"{c['coarse_ms'][q]:.0f}" if c["coarse_ms"][q] is not None else "–" for q in (50, 95)) + " ms", ""),
            ("  errors", f"{c['errors']}" + (f" ({c['first_error']})" if c["first_error"] else ""), "0"),
            ("  maps computed per worker (pid: count)", ", ".join(
                f"{pid}: {n}" for pid, n in sorted(c["maps_computed_per_worker"].items())), "each map once"),
        ]
    rows.append(("load average at start / end", f"{r['load_average_start']} / {r['load_average_end']}", ""))
    width = max(len(name) for name, _, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:<44} {target}" for name, value, target in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--students", type=int, default=100, help="class size (0: no class)")
    parser.add_argument("--arrival", type=float, default=3.0, help="seconds over which they arrive")
    parser.add_argument("--class-only", action="store_true", help="only the class")
    args = parser.parse_args(argv)
    result = measure(args.students, args.arrival, engine_part=not args.class_only)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main(sys.argv[1:])
