"""How fast a surface typed as a formula becomes trajectories, and what it costs per step.

    python -m benchmarks.formulas          # a readable table
    python -m benchmarks.formulas --json   # one JSON object

Everything goes through the real engine (`engine.simulate` on `surface=formula` with the
formula's text, as a link or the page's field gives it). Two workloads on Rosenbrock typed as
a formula, 1,000 steps: one rule (8 gradient-descent runs: one compiled structure) and the
default page's mix (SGD, momentum, Adam: three structures). Measured:

- a new formula structure's first trajectories (parse + validate + trace + compile + run): in
  a fresh process, then with the persistent compilation cache warm
  (`engine.enable_compilation_cache`), and in a process that has already compiled other
  structures (a server's case); and the same with the surface's landmarks (minima, start,
  colour scale: searched in a background thread meanwhile), what the page waits for;
- an edited number (same structure): parse + run, and the number of compilations it caused;
- the cost per step of the formula against the registered Rosenbrock through the same engine
  (timed in alternation; target <= 2x), after checking both give the same trajectories.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

import engine  # sets XLA flags and float64 before JAX runs anything
from engine import Run, Simulation, simulate
from engine.config import surface_of, validate
from landscapes import SURFACES
from landscapes.formula import BUILTIN_FORMULAS
from landscapes.minima import compile_count as landmark_compile_count
from landscapes.user import FORMULA as FORMULA_SURFACE

STEPS = 1_000
FORMULA = BUILTIN_FORMULAS["rosenbrock"]  # (1 - x)^2 + 100*(y - x^2)^2
EDITED = "(1.5 - x)^2 + 80*(y - x^2)^2"
NEW_STRUCTURES = {  # per workload its own (they share rules, so could share compilations)
    "one_rule": [f"(1 - x)^2 + 100*(y - x^2)^2 + 0.01*x^{n}" for n in (4, 6, 8)],
    "page": [f"(1 - x)^2 + 100*(y - x^2)^2 + 0.01*x^{n}" for n in (10, 12, 14)],
}
(XMIN, XMAX), (YMIN, YMAX) = SURFACES["rosenbrock"].domain
DOMAIN = {"xmin": XMIN, "xmax": XMAX, "ymin": YMIN, "ymax": YMAX}
START = (-1.5, 2.0)
ONE_RULE = tuple(Run("sgd", {"lr": float(lr)}) for lr in np.geomspace(1e-4, 1.5e-3, 8))
PAGE = (
    Run("sgd", {"lr": 1e-3}),
    Run("momentum", {"lr": 1e-3, "momentum": 0.9}),
    Run("adam", {"lr": 0.05}),
)
WORKLOADS = {"one_rule": ONE_RULE, "page": PAGE}
CHILD_TIMEOUT_S = 300
ROUNDS = 20  # alternations of the formula's and the built-in's timings


def formula_sim(text: str, runs: tuple[Run, ...]) -> Simulation:
    return Simulation(
        FORMULA_SURFACE, runs, start=START, steps=STEPS, surface_params=DOMAIN, formula=text
    )


def builtin_sim(runs: tuple[Run, ...]) -> Simulation:
    return Simulation("rosenbrock", runs, start=START, steps=STEPS)


def first_trajectories(text: str, runs: tuple[Run, ...]) -> list:
    """The engine's trajectories of `text` (compiling its structures if new)."""
    return simulate(formula_sim(text, runs))


def with_landmarks(text: str, runs: tuple[Run, ...]) -> None:
    """What the page waits for: the trajectories and the surface's record (its landmarks are
    searched in the background from validation on)."""
    sim = validate(formula_sim(text, runs))
    simulate(sim)
    surface_of(sim)


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_ms(first: Callable, second: Callable, rounds: int, calls: int) -> tuple:
    """Median times (ms) of `first` and `second`, measured in alternation (the shared
    machine's speed drifts; alternating gives both the same conditions)."""
    first(), second()
    times: tuple[list, list] = ([], [])
    for _ in range(rounds):
        times[0].extend(seconds(first) for _ in range(calls))
        times[1].extend(seconds(second) for _ in range(calls))
    return float(np.median(times[0]) * 1e3), float(np.median(times[1]) * 1e3)


def _child(cache_dir: str | None, workload: str, landmarks: bool) -> None:
    """In a fresh process: the first trajectories of the formula, compilation included."""
    if cache_dir:
        engine.enable_compilation_cache(cache_dir)
    runs = WORKLOADS[workload]
    work = with_landmarks if landmarks else first_trajectories
    print(json.dumps({"first_s": seconds(lambda: work(FORMULA, runs))}))


def fresh_process_seconds(cache_dir: str | None, workload: str, landmarks: bool = False) -> float:
    command = [
        sys.executable, "-m", "benchmarks.formulas", "--child", cache_dir or "",
        "--workload", workload, *(["--landmarks"] if landmarks else []),
    ]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=root, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["first_s"]


def _paths(trajectories) -> np.ndarray:
    return np.concatenate([t.xy for t in trajectories])


def measure(repeats: int) -> dict:
    """Every figure, measured in this one run."""
    result: dict = {
        "work": f"Rosenbrock typed as a formula, {STEPS:,} steps, through engine.simulate: "
        f"one rule = {len(ONE_RULE)} SGD runs, page = SGD, momentum, Adam",
    }
    for workload in WORKLOADS:
        result[f"{workload}_fresh_process_s"] = fresh_process_seconds(None, workload)
        result[f"{workload}_fresh_process_with_landmarks_s"] = fresh_process_seconds(
            None, workload, landmarks=True
        )
        with tempfile.TemporaryDirectory() as cache_dir:
            fresh_process_seconds(cache_dir, workload, landmarks=True)  # fills the cache
            result[f"{workload}_persistent_cache_s"] = fresh_process_seconds(cache_dir, workload)
            result[f"{workload}_persistent_cache_with_landmarks_s"] = fresh_process_seconds(
                cache_dir, workload, landmarks=True
            )

    for workload, runs in WORKLOADS.items():  # this process: JAX running from here on
        formula_paths = _paths(first_trajectories(FORMULA, runs))
        builtin_paths = _paths(simulate(builtin_sim(runs)))
        if not np.allclose(formula_paths, builtin_paths, rtol=0, atol=1e-12):
            raise SystemExit("the formula's trajectories differ from the built-in surface's")
    for workload, runs in WORKLOADS.items():
        new = NEW_STRUCTURES[workload]
        result[f"{workload}_running_process_s"] = float(
            np.median([seconds(lambda t=t, r=runs: first_trajectories(t, r)) for t in new])
        )
        landmarked = [f"{t} + 0.001*y^2" for t in new]  # structures new again
        result[f"{workload}_running_process_with_landmarks_s"] = float(
            np.median([seconds(lambda t=t, r=runs: with_landmarks(t, r)) for t in landmarked])
        )

    compiled, searches = engine.compile_count(), landmark_compile_count()
    edited_s = np.median([seconds(lambda: with_landmarks(EDITED, PAGE)) for _ in range(10)])
    result["edited_number_ms"] = float(edited_s) * 1e3
    result["edited_number_compilations"] = engine.compile_count() - compiled
    result["edited_number_landmark_compilations"] = landmark_compile_count() - searches

    for workload, runs in WORKLOADS.items():
        formula, builtin = validate(formula_sim(FORMULA, runs)), validate(builtin_sim(runs))
        formula_ms, builtin_ms = interleaved_ms(
            lambda f=formula: simulate(f),
            lambda b=builtin: simulate(b),
            ROUNDS,
            max(1, repeats // ROUNDS),
        )
        result[f"{workload}_formula_ms"] = formula_ms
        result[f"{workload}_builtin_ms"] = builtin_ms
        result[f"{workload}_formula_over_builtin"] = formula_ms / builtin_ms
    result["cpu_count"] = os.cpu_count()
    result["load_average"] = os.getloadavg()[0]
    return result


def table(result: dict) -> str:
    """The figures as a small aligned table."""
    rows = []
    for workload, name in (("one_rule", "one rule"), ("page", "page mix")):
        r = {k.removeprefix(f"{workload}_"): v for k, v in result.items() if k.startswith(workload)}
        rows += [
            (f"{name}: new structure, fresh process", f"{r['fresh_process_s']:.2f} s"),
            ("  ... with its landmarks", f"{r['fresh_process_with_landmarks_s']:.2f} s"),
            ("  persistent cache warm", f"{r['persistent_cache_s']:.2f} s"),
            ("  ... with its landmarks", f"{r['persistent_cache_with_landmarks_s']:.2f} s"),
            ("  running process (target <= 1.5 s)", f"{r['running_process_s']:.2f} s"),
            ("  ... with its landmarks", f"{r['running_process_with_landmarks_s']:.2f} s"),
            ("  formula, per call", f"{r['formula_ms']:.2f} ms"),
            ("  built-in, per call", f"{r['builtin_ms']:.2f} ms"),
            ("  formula / built-in (target <= 2x)", f"{r['formula_over_builtin']:.2f}x"),
        ]
    rows += [
        ("edited number, page mix + landmarks", f"{result['edited_number_ms']:.1f} ms"),
        ("  compilations it caused", str(result["edited_number_compilations"])),
        ("  landmark searches compiled", str(result["edited_number_landmark_compilations"])),
        ("load average at the end", f"{result['load_average']:.1f}"),
    ]
    lines = [result["work"]]
    lines += [f"{label:40}{value:>12}" for label, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=400, help="calls of each scan to time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="page", help=argparse.SUPPRESS)
    parser.add_argument("--landmarks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child or None, args.workload, args.landmarks)
        return
    result = measure(args.repeats)
    print(json.dumps(result) if args.json else table(result))


if __name__ == "__main__":
    main()
